import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import { tagRequestDevice } from '@app/platform';

/**
 * For the sign-in and refresh endpoints, which have no Actor: names the device their token
 * response is for (`device_id`) in the request's log line, so that one device's sign-in,
 * refreshes and guarded requests can be followed through the logs.
 */
@Injectable()
export class DeviceLogInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      tap((response) => {
        const deviceId = (response as { device_id?: unknown } | null)?.device_id;
        if (typeof deviceId === 'string') tagRequestDevice(context.switchToHttp().getRequest<object>(), deviceId);
      }),
    );
  }
}
