// A small layered (Sugiyama-style) layout for pipeline graphs, left to right. Pure, unit-tested.
//  1. layers: longest path from the sources (a node sits one layer right of its furthest parent);
//     a cycle (which the server refuses) is broken by ignoring the edges that close it;
//  2. order within a layer: a few down/up sweeps of the barycenter heuristic (each node moves to
//     the mean position of its neighbours in the previous layer), which removes most crossings;
//  3. coordinates: x by layer, y by order, each layer centred on the tallest one.
// An edge that skips layers gets a dummy node in each layer it crosses (ordered with the real
// ones, so it crossing-minimises too): a lane, `laneHeight` tall, that no box takes. The edge is
// drawn through its lanes (`Layout.lanes`), never behind a box.

export interface LayoutEdge {
  from: string;
  to: string;
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal gap between layers (room for the edge labels). */
  gapX: number;
  gapY: number;
  /** Height of the lane a layer-skipping edge takes in a layer it crosses (default 14). */
  laneHeight?: number;
  sweeps?: number;
}

export interface PlacedNode {
  id: string;
  layer: number;
  order: number;
  x: number;
  y: number;
}

export interface LanePoint {
  /** Left edge of the layer's column (the lane runs to x + nodeWidth). */
  x: number;
  /** Centre of the lane. */
  y: number;
}

export interface Layout {
  /** The real nodes; `order` is the position among the real nodes of the layer. */
  nodes: Map<string, PlacedNode>;
  /** For each edge that skips layers (key `${from}>${to}`): its lanes, left to right. */
  lanes: Map<string, LanePoint[]>;
  width: number;
  height: number;
}

/** The key of an edge in `Layout.lanes`. */
export const laneKey = (from: string, to: string) => `${from}>${to}`;

/** Layer of each node: 0 for sources, else 1 + the largest layer of its parents. */
export function assignLayers(ids: string[], edges: LayoutEdge[]): Map<string, number> {
  const known = new Set(ids);
  const parents = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) if (known.has(e.from) && known.has(e.to) && e.from !== e.to) parents.get(e.to)!.push(e.from);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const done = layer.get(id);
    if (done !== undefined) return done;
    visiting.add(id);
    let l = 0;
    for (const p of parents.get(id)!) if (!visiting.has(p)) l = Math.max(l, visit(p) + 1);
    visiting.delete(id);
    layer.set(id, l);
    return l;
  };
  ids.forEach(visit);
  return layer;
}

/** Number of edge crossings between consecutive layers for the given orders (for tests). */
export function countCrossings(layers: string[][], edges: LayoutEdge[]): number {
  const pos = new Map<string, [number, number]>();
  layers.forEach((ids, l) => ids.forEach((id, i) => pos.set(id, [l, i])));
  const seg = edges
    .map((e) => [pos.get(e.from), pos.get(e.to)] as const)
    .filter(([a, b]) => a && b && b[0] === a[0] + 1) as [[number, number], [number, number]][];
  let n = 0;
  for (let i = 0; i < seg.length; i++)
    for (let j = i + 1; j < seg.length; j++) {
      const [a1, b1] = seg[i];
      const [a2, b2] = seg[j];
      if (a1[0] !== a2[0]) continue;
      if ((a1[1] - a2[1]) * (b1[1] - b2[1]) < 0) n++;
    }
  return n;
}

export function layoutDag(ids: string[], edges: LayoutEdge[], opt: LayoutOptions): Layout {
  const layerOf = assignLayers(ids, edges);
  const depth = Math.max(0, ...layerOf.values()) + 1;
  const layers: string[][] = Array.from({ length: ids.length ? depth : 0 }, () => []);
  // Initial order: as given (the spec's step order), which is what users wrote.
  for (const id of ids) layers[layerOf.get(id)!].push(id);
  // Segments between consecutive layers: an edge skipping layers becomes a chain through dummy
  // nodes (ids starting with NUL, which no step name has); edges closing a cycle are dropped.
  const segments: LayoutEdge[] = [];
  const dummies = new Map<string, string[]>(); // laneKey -> its dummies, left to right
  const dummyLayer = new Map<string, number>();
  for (const e of edges) {
    const a = layerOf.get(e.from);
    const b = layerOf.get(e.to);
    if (a === undefined || b === undefined || b <= a) continue;
    const key = laneKey(e.from, e.to);
    if (dummies.has(key)) continue;
    const chain: string[] = [];
    for (let l = a + 1; l < b; l++) {
      const d = `\u0000${key}\u0000${l}`;
      chain.push(d);
      dummyLayer.set(d, l);
      layers[l].push(d);
    }
    dummies.set(key, chain);
    const path = [e.from, ...chain, e.to];
    for (let i = 0; i + 1 < path.length; i++) segments.push({ from: path[i], to: path[i + 1] });
  }
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  for (const e of segments) {
    (up.get(e.to) ?? up.set(e.to, []).get(e.to)!).push(e.from);
    (down.get(e.from) ?? down.set(e.from, []).get(e.from)!).push(e.to);
  }
  const index = new Map<string, number>();
  const reindex = () => layers.forEach((ids2) => ids2.forEach((id, i) => index.set(id, i)));
  reindex();
  const reorder = (l: number, nbrs: Map<string, string[]>) => {
    const bary = new Map<string, number>();
    for (const id of layers[l]) {
      const ns = (nbrs.get(id) ?? []).filter((n) => index.has(n));
      bary.set(id, ns.length ? ns.reduce((s, n) => s + index.get(n)!, 0) / ns.length : index.get(id)!);
    }
    // Stable: ties keep the current order.
    layers[l] = layers[l].map((id, i) => [id, i] as const).sort((a, b) => bary.get(a[0])! - bary.get(b[0])! || a[1] - b[1]).map(([id]) => id);
    layers[l].forEach((id, i) => index.set(id, i));
  };
  let best = layers.map((l) => l.slice());
  let bestCross = countCrossings(layers, segments);
  for (let s = 0; s < (opt.sweeps ?? 4) && bestCross > 0; s++) {
    for (let l = 1; l < layers.length; l++) reorder(l, up);
    for (let l = layers.length - 2; l >= 0; l--) reorder(l, down);
    const c = countCrossings(layers, segments);
    if (c < bestCross) {
      bestCross = c;
      best = layers.map((x) => x.slice());
    }
  }
  const lane = opt.laneHeight ?? 14;
  const heightOf = (id: string) => (dummyLayer.has(id) ? lane : opt.nodeHeight);
  const columnHeight = (ids2: string[]) =>
    ids2.reduce((h, id) => h + heightOf(id), 0) + Math.max(0, ids2.length - 1) * opt.gapY;
  const tallest = Math.max(0, ...best.map(columnHeight));
  const nodes = new Map<string, PlacedNode>();
  const laneAt = new Map<string, LanePoint>();
  best.forEach((ids2, l) => {
    const x = l * (opt.nodeWidth + opt.gapX);
    let y = (tallest - columnHeight(ids2)) / 2;
    let order = 0;
    for (const id of ids2) {
      if (dummyLayer.has(id)) laneAt.set(id, { x, y: y + lane / 2 });
      else nodes.set(id, { id, layer: l, order: order++, x, y });
      y += heightOf(id) + opt.gapY;
    }
  });
  const lanes = new Map<string, LanePoint[]>();
  for (const [key, chain] of dummies) if (chain.length) lanes.set(key, chain.map((d) => laneAt.get(d)!));
  return {
    nodes,
    lanes,
    width: best.length ? best.length * opt.nodeWidth + (best.length - 1) * opt.gapX : 0,
    height: tallest,
  };
}
