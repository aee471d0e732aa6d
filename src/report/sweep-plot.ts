// The robust-accuracy curve of a sweep, for the --plot file and the --html page alike: one
// series per method (robust accuracy, in percent, against ε); the undecided interval
// [verified, 1 − falsified − misclassified] of each method is its band (none where it is closed); the clean accuracy is the
// reference line. Labels use the field's symbols (ε, ℓ∞).
import type { SweepReport } from '../sweep/report.js';
import type { PlotSeries } from './svg-plot.js';
import { svgLinePlot } from './svg-plot.js';

export function sweepPlotSvg(rep: SweepReport, title?: string): string {
  const series: PlotSeries[] = rep.methods.map((m) => {
    const rows = rep.rows.filter((r) => r.method === m);
    const label = m.toUpperCase() + (rep.complete ? ' + cascade' : '');
    // the line is the proven lower end; the band reaches up to 1 − falsified − misclassified
    const band = { lower: rows.map((r) => 100 * r.robustAccuracy), upper: rows.map((r) => 100 * r.robustAccuracyUpper), label: `undecided (${label})` };
    return { label, x: rows.map((r) => r.eps), y: rows.map((r) => 100 * r.robustAccuracy), band };
  });
  return svgLinePlot(series, {
    title,
    xLabel: 'ε (ℓ∞ radius)',
    yLabel: 'robust accuracy',
    yUnit: '%',
    xRange: [0, rep.eps[rep.eps.length - 1] || 1],
    reference: { label: 'clean accuracy', y: (100 * rep.correct) / rep.samples },
  });
}
