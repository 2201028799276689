/* global process */
// Preloaded into an app process (`node --import …/skewed-clock.mjs`) to play a host whose
// clock is CLOCK_SKEW_MS off (negative: behind). Everything in the app that asks JavaScript
// for the time (Date.now: the Clock, jsonwebtoken) gets the skewed time; the database's own
// clock is untouched, as it would be on a real host.
const skewMs = Number(process.env.CLOCK_SKEW_MS ?? 0);
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + skewMs;
