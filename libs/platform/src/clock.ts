import { Injectable } from '@nestjs/common';

/** The source of "now" for every policy decision, injectable so tests can move time. */
@Injectable()
export class Clock {
  /** Milliseconds since the epoch. */
  now(): number {
    return Date.now();
  }
}
