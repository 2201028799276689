import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SsfReceiverEntity } from '@app/persistence';
import type { ReceiverRequest } from './ssf-receiver.guard.js';

/** The receiver SsfReceiverGuard authenticated (a route without that guard has none, and fails closed). */
export const CurrentReceiver = createParamDecorator((_data: unknown, context: ExecutionContext): SsfReceiverEntity => {
  const receiver = context.switchToHttp().getRequest<ReceiverRequest>().ssfReceiver;
  if (!receiver) throw new Error('CurrentReceiver used on a route without SsfReceiverGuard');
  return receiver;
});
