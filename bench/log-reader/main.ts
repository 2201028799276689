// A stand-in for a log shipper on the same host (Vector, Fluent Bit, the container runtime's
// log driver): it reads a server's stdout from a pipe, as fast as the lines come, and counts
// them. When the pipe closes (the server has exited) it prints the count as JSON on its own
// stdout, for the harness. Bench only; never shipped.
let lines = 0;
let bytes = 0;
process.stdin.on('data', (chunk: Buffer) => {
  bytes += chunk.length;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
});
process.stdin.once('end', () => process.stdout.write(`${JSON.stringify({ lines, bytes })}\n`));
