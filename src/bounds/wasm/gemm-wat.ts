// WebAssembly text of the f64x2 SIMD GEMM kernel behind linalg.matmulRows, generated here (the
// three column-block variants differ only in width) and compiled to gemm-binary.ts by
// `node scripts/build-bounds-wasm.mjs` (wabt, a devDependency: no compiler at run time; a test
// checks that the committed binary is this text compiled).
//
// Five functions, gemm, gemmc (gemm fused with concretise), concretise, corner and lines (below).
// gemm(a, n, inner, w, cols, out, pack, koff): out (n × cols) = A (n × inner) · W (inner × cols),
// all row-major float64, arguments are byte addresses. Every output is the plain sum over k in
// increasing order of A[r][k]·W[k][j] (f64x2 lanes are columns, no FMA), so results are
// bit-identical to the scalar JS loop, whatever the row blocking. Rows go four at a time; k
// where all four are zero is skipped (a zero product never changes a sum that starts at +0).
// The caller pads A and out to a multiple of 4 rows (padding rows of A zero) and W by 16 bytes
// (the odd last column reads one lane past a row end and discards it).

/** One column block: `vecs` f64x2 accumulators per row for 4 rows; `half` stores lane 0 only. */
function block(label: string, vecs: number, half: boolean, conc = false): string {
  const step = half ? 1 : vecs * 2;
  const accs: string[] = [];
  for (let i = 0; i < 4; i++) for (let c = 0; c < vecs; c++) accs.push(`$c${i}${c}`);
  const zero = accs.map((a) => `        (local.set ${a} (v128.const i64x2 0 0))`).join('\n');
  const loadW = Array.from({ length: vecs }, (_, c) => `            (local.set $w${c} (v128.load offset=${c * 16} (local.get $wb)))`).join('\n');
  const fma: string[] = [];
  for (let i = 0; i < 4; i++) {
    fma.push(`            (local.set $av (v128.load offset=${i * 16} (local.get $p)))`);
    for (let c = 0; c < vecs; c++) fma.push(`            (local.set $c${i}${c} (f64x2.add (local.get $c${i}${c}) (f64x2.mul (local.get $av) (local.get $w${c}))))`);
  }
  const store: string[] = [];
  if (conc) {
    // gemmc: each output a goes straight into its row's sum, a·mid − |a|·rad, columns in order
    store.push(`        (local.set $mb (i32.add (local.get $mrow) (i32.shl (local.get $j) (i32.const 3))))`);
    store.push(`        (local.set $rb (i32.add (local.get $rrow) (i32.shl (local.get $j) (i32.const 3))))`);
    for (let c = 0; c < vecs; c++) {
      store.push(`        (local.set $mv${c} (v128.load offset=${c * 16} (local.get $mb)))`);
      store.push(`        (local.set $rv${c} (v128.load offset=${c * 16} (local.get $rb)))`);
    }
    for (let i = 0; i < 4; i++) {
      for (let c = 0; c < vecs; c++) {
        store.push(`        (local.set $t (f64x2.sub (f64x2.mul (local.get $c${i}${c}) (local.get $mv${c})) (f64x2.mul (f64x2.abs (local.get $c${i}${c})) (local.get $rv${c}))))`);
        store.push(`        (local.set $s${i} (f64.add (local.get $s${i}) (f64x2.extract_lane 0 (local.get $t))))`);
        if (!half) store.push(`        (local.set $s${i} (f64.add (local.get $s${i}) (f64x2.extract_lane 1 (local.get $t))))`);
      }
    }
  } else {
    for (let i = 0; i < 4; i++) {
      const at = `(i32.add (local.get $ob) (i32.mul (i32.const ${i}) (local.get $cstride)))`;
      for (let c = 0; c < vecs; c++) {
        store.push(half
          ? `        (f64.store ${at} (f64x2.extract_lane 0 (local.get $c${i}${c})))`
          : `        (v128.store offset=${c * 16} ${at} (local.get $c${i}${c}))`);
      }
    }
  }
  const cond = half ? `(i32.lt_u (local.get $j) (local.get $cols))` : `(i32.le_u (i32.add (local.get $j) (i32.const ${step})) (local.get $cols))`;
  return `
    ;; column block ${label}: ${half ? 'the odd last column' : `${step} columns`}
    (block $done_${label}
      (loop $cols_${label}
        (br_if $done_${label} (i32.eqz ${cond}))
${zero}
        (local.set $p (local.get $pack))
        (local.set $kp (local.get $koff))
        (block $empty_${label}
          (br_if $empty_${label} (i32.eqz (local.get $nk)))
          (loop $k_${label}
            (local.set $wb (i32.add (i32.add (local.get $w) (i32.load (local.get $kp))) (i32.shl (local.get $j) (i32.const 3))))
${loadW}
${fma.join('\n')}
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (local.set $kp (i32.add (local.get $kp) (i32.const 4)))
            (br_if $k_${label} (i32.lt_u (local.get $kp) (local.get $kend)))))
${conc ? '' : `        (local.set $ob (i32.add (local.get $orow) (i32.shl (local.get $j) (i32.const 3))))`}
${store.join('\n')}
        (local.set $j (i32.add (local.get $j) (i32.const ${step})))
        (br $cols_${label})))`;
}

// concretise(a, n, size, mid, rad, box, lb): lb[r] += Σ_i (A[r][i]·mid[box[r]][i] − |A[r][i]|·rad[box[r]][i])
// in increasing i, two rows per f64x2 (one per lane: the same sums as the JS loop). box holds
// i32 box indices into mid/rad (both count × size); the caller pads n to even.
const CONCRETISE = `
  (func (export "concretise") (param $a i32) (param $n i32) (param $size i32) (param $mid i32) (param $rad i32)
        (param $box i32) (param $lb i32)
    (local $r i32) (local $stride i32) (local $a0 i32) (local $a1 i32) (local $x0 i32) (local $x1 i32) (local $i i32)
    (local $s v128) (local $av v128)
    (local.set $stride (i32.shl (local.get $size) (i32.const 3)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $stride)))
        (local.set $x0 (i32.mul (i32.load (i32.add (local.get $box) (i32.shl (local.get $r) (i32.const 2)))) (local.get $stride)))
        (local.set $x1 (i32.mul (i32.load offset=4 (i32.add (local.get $box) (i32.shl (local.get $r) (i32.const 2)))) (local.get $stride)))
        (local.set $s (v128.load (i32.add (local.get $lb) (i32.shl (local.get $r) (i32.const 3)))))
        (local.set $i (i32.const 0))
        (block $row_done
          (loop $cols
            (br_if $row_done (i32.ge_u (local.get $i) (local.get $stride)))
            (local.set $av (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $a0) (local.get $i))))
                                                 (f64.load (i32.add (local.get $a1) (local.get $i)))))
            (local.set $s (f64x2.add (local.get $s) (f64x2.sub
              (f64x2.mul (local.get $av)
                (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $mid) (i32.add (local.get $x0) (local.get $i)))))
                                      (f64.load (i32.add (local.get $mid) (i32.add (local.get $x1) (local.get $i))))))
              (f64x2.mul (f64x2.abs (local.get $av))
                (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $rad) (i32.add (local.get $x0) (local.get $i)))))
                                      (f64.load (i32.add (local.get $rad) (i32.add (local.get $x1) (local.get $i)))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $cols)))
        (v128.store (i32.add (local.get $lb) (i32.shl (local.get $r) (i32.const 3))) (local.get $s))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $rows))))`;

// corner(a, n, size, mid, rad, box, out): out[r][i] = mid[box[r]][i] − t, t = rad[box[r]][i] where
// A[r][i] > 0, −rad where A[r][i] < 0, else +0 (±0 and NaN): the box corner minimising each row's
// A·x (backward.ts cornerOf). t is or(and(rad, a > 0), and(−rad, a < 0)) lane-wise: rad, −rad
// (an exact negation) or +0, the JS expression's values, so the same bits. Two columns per
// f64x2, an odd last column on its own; rows one at a time.
const CORNER = `
  (func (export "corner") (param $a i32) (param $n i32) (param $size i32) (param $mid i32) (param $rad i32)
        (param $box i32) (param $out i32)
    (local $r i32) (local $stride i32) (local $pairs i32) (local $ar i32) (local $xr i32) (local $or i32) (local $i i32)
    (local $av v128) (local $q v128) (local $x f64) (local $qs f64)
    (local.set $stride (i32.shl (local.get $size) (i32.const 3)))
    (local.set $pairs (i32.and (local.get $stride) (i32.const -16)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $ar (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $or (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $xr (i32.mul (i32.load (i32.add (local.get $box) (i32.shl (local.get $r) (i32.const 2)))) (local.get $stride)))
        (local.set $i (i32.const 0))
        (block $row_done
          (loop $cols
            (br_if $row_done (i32.ge_u (local.get $i) (local.get $pairs)))
            (local.set $av (v128.load (i32.add (local.get $ar) (local.get $i))))
            (local.set $q (v128.load (i32.add (local.get $rad) (i32.add (local.get $xr) (local.get $i)))))
            (v128.store (i32.add (local.get $or) (local.get $i))
              (f64x2.sub (v128.load (i32.add (local.get $mid) (i32.add (local.get $xr) (local.get $i))))
                (v128.or (v128.and (local.get $q) (f64x2.gt (local.get $av) (f64x2.splat (f64.const 0))))
                         (v128.and (f64x2.neg (local.get $q)) (f64x2.lt (local.get $av) (f64x2.splat (f64.const 0)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $cols)))
        (if (i32.lt_u (local.get $pairs) (local.get $stride))
          (then
            (local.set $x (f64.load (i32.add (local.get $ar) (local.get $pairs))))
            (local.set $qs (f64.load (i32.add (local.get $rad) (i32.add (local.get $xr) (local.get $pairs)))))
            (f64.store (i32.add (local.get $or) (local.get $pairs))
              (f64.sub (f64.load (i32.add (local.get $mid) (i32.add (local.get $xr) (local.get $pairs))))
                (select (local.get $qs)
                        (select (f64.neg (local.get $qs)) (f64.const 0) (f64.lt (local.get $x) (f64.const 0)))
                        (f64.gt (local.get $x) (f64.const 0)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))`;

// lines(p, n, L, stride, low, up, icpt, sums): the backward step through per-neuron lines
// (relax/lines.ts stepRow) on rows of a product in place, two rows at a time (the caller pads n
// to even with zero rows): row r's coefficients a at p + r·stride, t < L, become a·low[t] where
// a > 0, stay where a = ±0, and become a·up[t] otherwise (a < 0, or NaN), whose term a·icpt[t]
// is summed in increasing t from +0 into sums[r]. Other lanes get +0, which leaves such a sum
// unchanged (it starts at +0 and is never −0), so each sum is stepRow's, bit for bit. Two
// columns of two rows per iteration: the terms are transposed so that lane 0 sums row r and lane
// 1 row r + 1, each column in order.
const LINES = `
  (func (export "lines") (param $p i32) (param $n i32) (param $L i32) (param $stride i32)
        (param $low i32) (param $up i32) (param $icpt i32) (param $sums i32)
    (local $r i32) (local $a0 i32) (local $a1 i32) (local $t i32) (local $pairs i32)
    (local $s v128) (local $x v128) (local $y v128) (local $lo v128) (local $hi v128) (local $ic v128)
    (local $mx v128) (local $my v128) (local $tx v128) (local $ty v128)
    (local.set $pairs (i32.shl (i32.and (local.get $L) (i32.const -2)) (i32.const 3)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $a0 (i32.add (local.get $p) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $stride)))
        (local.set $s (v128.const i64x2 0 0))
        (local.set $t (i32.const 0))
        (block $pairs_done
          (loop $cols
            (br_if $pairs_done (i32.ge_u (local.get $t) (local.get $pairs)))
            (local.set $lo (v128.load (i32.add (local.get $low) (local.get $t))))
            (local.set $hi (v128.load (i32.add (local.get $up) (local.get $t))))
            (local.set $ic (v128.load (i32.add (local.get $icpt) (local.get $t))))
            (local.set $x (v128.load (i32.add (local.get $a0) (local.get $t))))
            (local.set $y (v128.load (i32.add (local.get $a1) (local.get $t))))
${linesLane('x', '$a0')}
${linesLane('y', '$a1')}
            (local.set $s (f64x2.add (local.get $s) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $tx) (local.get $ty))))
            (local.set $s (f64x2.add (local.get $s) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $tx) (local.get $ty))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br $cols)))
        ;; an odd last column: lane 0 row r, lane 1 row r + 1
        (if (i32.and (local.get $L) (i32.const 1))
          (then
            (local.set $lo (v128.load64_splat (i32.add (local.get $low) (local.get $t))))
            (local.set $hi (v128.load64_splat (i32.add (local.get $up) (local.get $t))))
            (local.set $ic (v128.load64_splat (i32.add (local.get $icpt) (local.get $t))))
            (local.set $x (f64x2.replace_lane 1 (v128.load64_splat (i32.add (local.get $a0) (local.get $t)))
                                                (f64.load (i32.add (local.get $a1) (local.get $t)))))
            (local.set $mx (v128.not (v128.or (f64x2.gt (local.get $x) (v128.const i64x2 0 0)) (f64x2.eq (local.get $x) (v128.const i64x2 0 0)))))
            (local.set $y (v128.bitselect (f64x2.mul (local.get $x) (local.get $lo))
                                          (v128.bitselect (f64x2.mul (local.get $x) (local.get $hi)) (local.get $x) (local.get $mx))
                                          (f64x2.gt (local.get $x) (v128.const i64x2 0 0))))
            (f64.store (i32.add (local.get $a0) (local.get $t)) (f64x2.extract_lane 0 (local.get $y)))
            (f64.store (i32.add (local.get $a1) (local.get $t)) (f64x2.extract_lane 1 (local.get $y)))
            (local.set $s (f64x2.add (local.get $s) (v128.and (f64x2.mul (local.get $x) (local.get $ic)) (local.get $mx))))))
        (v128.store (i32.add (local.get $sums) (i32.shl (local.get $r) (i32.const 3))) (local.get $s))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $rows))))`;

/** The lines step on two columns of one row (v = x or y at address row): stores the new coefficients, leaves the terms in $tv. */
function linesLane(v: string, row: string): string {
  const m = `$m${v}`, t = `$t${v}`;
  return `            (local.set ${m} (v128.not (v128.or (f64x2.gt (local.get $${v}) (v128.const i64x2 0 0)) (f64x2.eq (local.get $${v}) (v128.const i64x2 0 0)))))
            (v128.store (i32.add (local.get ${row}) (local.get $t))
              (v128.bitselect (f64x2.mul (local.get $${v}) (local.get $lo))
                              (v128.bitselect (f64x2.mul (local.get $${v}) (local.get $hi)) (local.get $${v}) (local.get ${m}))
                              (f64x2.gt (local.get $${v}) (v128.const i64x2 0 0))))
            (local.set ${t} (v128.and (f64x2.mul (local.get $${v}) (local.get $ic)) (local.get ${m})))`;
}

/**
 * The gemm function, or with `conc` gemmc(a, n, inner, w, cols, pack, koff, mid, rad, box, lb):
 * the same products, each concretised as it is produced: lb[r] += Σ_j (A·W)[r][j]·mid[box][j] −
 * |(A·W)[r][j]|·rad[box][j], j increasing (the column blocks go left to right and each block's
 * columns in order), the sums and order of gemm then concretise, so the same bits, without
 * storing the product. A block of four rows reads one box: box[r] of its first row (the caller
 * starts each box's rows at a multiple of 4; padding rows' products are 0 and their sums unread).
 */
function gemmFunc(vecs: number, conc: boolean): string {
  const accDecl: string[] = [];
  for (let i = 0; i < 4; i++) for (let c = 0; c < vecs; c++) accDecl.push(`$c${i}${c}`);
  const sumsAt = (i: number) => `(i32.add (local.get $lb) (i32.shl (i32.add (local.get $r) (i32.const ${i})) (i32.const 3)))`;
  return `
  (func (export "${conc ? 'gemmc' : 'gemm'}") (param $a i32) (param $n i32) (param $inner i32) (param $w i32) (param $cols i32)
        ${conc ? '(param $pack i32) (param $koff i32) (param $mid i32) (param $rad i32) (param $box i32) (param $lb i32)' : '(param $out i32) (param $pack i32) (param $koff i32)'}
    (local $r i32) (local $k i32) (local $nk i32) (local $j i32) (local $astride i32) (local $cstride i32)
    (local $arow i32) (local $orow i32) (local $p i32) (local $kp i32) (local $kend i32) (local $wb i32) (local $ob i32)
    (local $x0 f64) (local $x1 f64) (local $x2 f64) (local $x3 f64)
    ${accDecl.map((a) => `(local ${a} v128)`).join(' ')}
    (local $av v128) ${Array.from({ length: vecs }, (_, c) => `(local $w${c} v128)`).join(' ')}
    ${conc ? `(local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64) (local $mrow i32) (local $rrow i32) (local $mb i32) (local $rb i32) (local $t v128) ${Array.from({ length: vecs }, (_, c) => `(local $mv${c} v128) (local $rv${c} v128)`).join(' ')}` : ''}
    (local.set $astride (i32.shl (local.get $inner) (i32.const 3)))
    (local.set $cstride (i32.shl (local.get $cols) (i32.const 3)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $astride))))
${conc ? `        (local.set $mrow (i32.add (local.get $mid) (i32.mul (i32.load (i32.add (local.get $box) (i32.shl (local.get $r) (i32.const 2)))) (local.get $cstride))))
        (local.set $rrow (i32.add (local.get $rad) (i32.mul (i32.load (i32.add (local.get $box) (i32.shl (local.get $r) (i32.const 2)))) (local.get $cstride))))
${[0, 1, 2, 3].map((i) => `        (local.set $s${i} (f64.load ${sumsAt(i)}))`).join('\n')}` : `        (local.set $orow (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $cstride))))`}
        ;; pack the k where one of the four rows is non-zero: splatted A values and W row offsets
        (local.set $nk (i32.const 0))
        (local.set $k (i32.const 0))
        (local.set $p (local.get $pack))
        (block $pk_done
          (loop $pk
            (br_if $pk_done (i32.ge_u (local.get $k) (local.get $inner)))
            (local.set $kp (i32.add (local.get $arow) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $x0 (f64.load (local.get $kp)))
            (local.set $x1 (f64.load (i32.add (local.get $kp) (local.get $astride))))
            (local.set $x2 (f64.load (i32.add (local.get $kp) (i32.shl (local.get $astride) (i32.const 1)))))
            (local.set $x3 (f64.load (i32.add (local.get $kp) (i32.mul (local.get $astride) (i32.const 3)))))
            (if (i32.or (i32.or (f64.ne (local.get $x0) (f64.const 0)) (f64.ne (local.get $x1) (f64.const 0)))
                        (i32.or (f64.ne (local.get $x2) (f64.const 0)) (f64.ne (local.get $x3) (f64.const 0))))
              (then
                (v128.store offset=0 (local.get $p) (f64x2.splat (local.get $x0)))
                (v128.store offset=16 (local.get $p) (f64x2.splat (local.get $x1)))
                (v128.store offset=32 (local.get $p) (f64x2.splat (local.get $x2)))
                (v128.store offset=48 (local.get $p) (f64x2.splat (local.get $x3)))
                (i32.store (i32.add (local.get $koff) (i32.shl (local.get $nk) (i32.const 2)))
                           (i32.mul (local.get $k) (local.get $cstride)))
                (local.set $p (i32.add (local.get $p) (i32.const 64)))
                (local.set $nk (i32.add (local.get $nk) (i32.const 1)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $pk)))
        (local.set $kend (i32.add (local.get $koff) (i32.shl (local.get $nk) (i32.const 2))))
        (local.set $j (i32.const 0))
${block('main', vecs, false, conc)}
${block('2', 1, false, conc)}
${block('1', 1, true, conc)}
${conc ? [0, 1, 2, 3].map((i) => `        (f64.store ${sumsAt(i)} (local.get $s${i}))`).join('\n') : ''}
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rows))))`;
}

/** `vecs`: f64x2 accumulators per row in the main column block (4 rows × 2·vecs columns). */
export function gemmWat(vecs = 2): string {
  return `(module
  (memory (export "memory") 1)
${gemmFunc(vecs, false)}
${gemmFunc(vecs, true)}
${CONCRETISE}
${CORNER}
${LINES}
)
`;
}
