// `npm run lint`: the house keeps its rooms (docs/ARCHITECTURE.md).
// 1. No import cycle between folders. dependency-cruiser finds cycles between files
//    (.dependency-cruiser.cjs); this reads its module graph, lifts every import to the folders of
//    its two files, and fails on any cycle among folders, naming the imports. The composition
//    roots (index.ts, *.module.ts, main.ts) are left out: wiring every folder of their lib
//    together is what they are for.
// 2. No lib or app holds more than a quarter of the product code (the lines of apps/*/src and
//    libs/*/src, tests left out): a room that grows past that is several rooms.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const MAX_SHARE = 0.25;

const graph = JSON.parse(
  execFileSync('npx', ['depcruise', 'apps', 'libs', 'bench', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }),
);
/** folder → folder → one import that makes the edge, for the message */
const edges = new Map();
/** Composition roots wire every folder of their lib (and import them all by design). */
const WIRING = /(^|\/)(index|[\w-]+\.module|main)\.ts$/;
for (const module of graph.modules) {
  if (WIRING.test(module.source)) continue;
  const from = dirname(module.source);
  for (const dependency of module.dependencies) {
    if (dependency.coreModule || dependency.couldNotResolve || dependency.resolved.includes('node_modules')) continue;
    const to = dirname(dependency.resolved);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${module.source} → ${dependency.resolved}`);
  }
}

// Tarjan's strongly connected components: a component of more than one folder is a cycle.
let index = 0;
const indices = new Map();
const lowlinks = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function connect(folder) {
  indices.set(folder, index);
  lowlinks.set(folder, index++);
  stack.push(folder);
  onStack.add(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!indices.has(next)) {
      connect(next);
      lowlinks.set(folder, Math.min(lowlinks.get(folder), lowlinks.get(next)));
    } else if (onStack.has(next)) lowlinks.set(folder, Math.min(lowlinks.get(folder), indices.get(next)));
  }
  if (lowlinks.get(folder) !== indices.get(folder)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== folder);
  if (component.length > 1) cycles.push(component);
}
for (const folder of edges.keys()) if (!indices.has(folder)) connect(folder);

for (const cycle of cycles) {
  console.error(`folder cycle: ${cycle.join(', ')}`);
  for (const from of cycle) for (const [to, example] of edges.get(from) ?? []) if (cycle.includes(to)) console.error(`  ${example}`);
}

/** Lines of product code (no tests) under `dir`. */
function productLines(dir) {
  let lines = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) lines += productLines(path);
    else if (/\.ts$/.test(entry.name) && !/\.(spec|e2e-spec|browser-spec)\.ts$/.test(entry.name)) {
      lines += readFileSync(path, 'utf8').split('\n').length;
    }
  }
  return lines;
}
const rooms = ['apps', 'libs'].flatMap((top) =>
  readdirSync(top, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ room: `${top}/${entry.name}`, lines: productLines(join(top, entry.name, 'src')) })),
);
const total = rooms.reduce((sum, { lines }) => sum + lines, 0);
const oversized = rooms.filter(({ lines }) => lines > total * MAX_SHARE);
for (const { room, lines } of oversized) {
  console.error(
    `${room} holds ${((100 * lines) / total).toFixed(1)} % of the product code (${lines} of ${total} lines; at most ${100 * MAX_SHARE} %)`,
  );
}

if (cycles.length > 0 || oversized.length > 0) process.exit(1);
const largest = rooms.reduce((a, b) => (b.lines > a.lines ? b : a));
console.log(
  `no folder cycles (${edges.size} folders with imports); largest room ${largest.room}, ${((100 * largest.lines) / total).toFixed(1)} % of ${total} lines`,
);
