import { parseDurationSeconds } from './duration.js';

describe('parseDurationSeconds', () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['12h', 43_200],
    ['30d', 2_592_000],
    [' 1s ', 1],
    ['0', 0],
  ])('reads %p as %p seconds', (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds);
  });

  it.each(['', '15x', '1.5h', '-5m', 'm', '15 minutes', '1e3', '10mm'])('rejects %p', (input) => {
    expect(parseDurationSeconds(input)).toBeUndefined();
  });
});
