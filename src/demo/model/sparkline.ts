/** A one-line chart of a series with the eight block characters. Shape only: not for exact values. */
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return BLOCKS[3].repeat(values.length);
  return values.map((v) => BLOCKS[Math.min(7, Math.floor(((v - min) / (max - min)) * 8))]).join('');
}
