/**
 * Token slips for ESC/POS thermal printers: drawing the slip (fonts, Hindi shaping, QR code) and
 * encoding it as printer bytes, from a ticket's slip data to the job ready to send. Each sample
 * is a different ticket (token, QR payload), as at a counter.
 */
import { encodeSlipEscPos } from '../main/printing/escpos';
import { renderSlipRaster } from '../main/printing/slip-raster';
import { demoSlip } from '../main/printing/slip-text';
import { prng, personName } from '../common/demo/people';
import { qrPayloadFor, type PaperSize, type SlipData } from '../main/printing/types';
import { percentile, round, summarize, timeEach, timeOnce, type Benchmark, type Metric } from './stats';

const SAMPLES = 200;
const WARMUP = 20;
/** From the counter's requirements: the slip starts printing without a noticeable pause. */
const TARGET_P95_MS = 150;

function slips(count: number, seed: number): SlipData[] {
  const r = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const lane = r() < 0.4 ? 'priority' : 'walkin';
    const token = `A-${lane === 'priority' ? 'P' : 'W'}${String(1 + i).padStart(3, '0')}`;
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
    const ticketId = `${hex(8)}-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`;
    return demoSlip({
      ticketId,
      token,
      lane,
      name: personName(r, r() < 0.5 ? 'F' : 'M'),
      placeInLane: 1 + Math.floor(r() * 60),
      estimatedWaitMinutes: Math.floor(r() * 120),
      verified: r() < 0.9,
      reprint: r() < 0.05,
      qrPayload: qrPayloadFor(ticketId, token),
    });
  });
}

function slipBenchmark(paper: PaperSize): Benchmark {
  const name = paper.replace('mm', '');
  return {
    name: `slip-${name}`,
    description: `render ${paper === '80mm' ? 'an' : 'a'} ${paper} slip as a raster and encode it as an ESC/POS job (${SAMPLES} tickets after ${WARMUP} warm-up)`,
    async run(ctx) {
      const data = slips(WARMUP + SAMPLES + 1, paper === '80mm' ? 21 : 22);
      // the first slip of the process also loads and registers the fonts
      const first = await timeOnce(() => encodeSlipEscPos(renderSlipRaster(data[0]!, paper), paper));
      ctx.progress(`slip ${paper}: first slip ${first.toFixed(1)} ms; ${SAMPLES} samples after ${WARMUP} warm-up`);
      let bytes = 0;
      const renderTimes: number[] = [];
      const times = await timeEach(SAMPLES, WARMUP, (i) => {
        const t0 = performance.now();
        const raster = renderSlipRaster(data[1 + i]!, paper);
        if (i >= WARMUP) renderTimes.push(performance.now() - t0);
        bytes = encodeSlipEscPos(raster, paper).length;
      });
      const s = summarize(times);
      const sorted = [...times].sort((a, b) => a - b);
      const render = summarize(renderTimes);
      const note = `${s.n} samples, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; render alone p50 ${render.p50.toFixed(1)} ms; job ${(bytes / 1024).toFixed(0)} KiB`;
      const prefix = paper === '80mm' ? 'slip_render_encode' : `slip_${name}mm_render_encode`;
      const metrics: Metric[] = [
        { metric: `${prefix}_p50_ms`, value: round(s.p50, 2), unit: 'ms', note },
        { metric: `${prefix}_p95_ms`, value: round(percentile(sorted, 95), 2), unit: 'ms', target: { max: TARGET_P95_MS }, note },
      ];
      if (paper === '80mm') {
        metrics.push({
          metric: 'slip_first_render_encode_ms',
          value: round(first, 1),
          unit: 'ms',
          note: 'first slip of the process: fonts loaded and registered',
        });
      }
      return metrics;
    },
  };
}

export const benchmarks: Benchmark[] = [slipBenchmark('80mm'), slipBenchmark('58mm')];
