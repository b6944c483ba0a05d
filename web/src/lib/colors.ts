// Series colours: ten hand-picked ones, then golden-angle hues, so 100 runs stay distinguishable.
const BASE = ['#2f6fdf', '#e4572e', '#17a398', '#f3a712', '#8e44ad', '#d6336c', '#2b9348', '#6c757d', '#00a6ed', '#a0522d'];

export function seriesColor(i: number): string {
  if (i < BASE.length) return BASE[i];
  const hue = (i * 137.508) % 360;
  return `hsl(${hue.toFixed(0)}, 65%, 48%)`;
}
