// `npm run lint`: no import cycle between folders (ARCHITECTURE.md). dependency-cruiser finds
// cycles between files (.dependency-cruiser.cjs); this reads its module graph, lifts every import
// to the folders of its two files, and fails on any cycle among folders, naming the imports.
// The composition roots (index.ts, *.module.ts, main.ts) are left out: wiring every folder of
// their lib together is what they are for.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';

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
if (cycles.length > 0) process.exit(1);
console.log(`no folder cycles (${edges.size} folders with imports)`);
