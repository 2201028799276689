import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** The signed-in account holder of a dashboard request. */
export interface Viewer {
  readonly userId: string;
  /** The dashboard's own `web` device: "this browser". */
  readonly deviceId: string;
  readonly email: string;
  /** The account's stored role is `operator` (granted only by `npm run operator`), read on every request. */
  readonly isOperator: boolean;
}

export interface ViewerRequest {
  viewer?: Viewer;
}

/** `@CurrentViewer() viewer: Viewer`, set by DashboardSessionGuard. */
export const CurrentViewer = createParamDecorator((_: unknown, context: ExecutionContext): Viewer => {
  const viewer = context.switchToHttp().getRequest<ViewerRequest>().viewer;
  if (!viewer) throw new Error('CurrentViewer used on a public route');
  return viewer;
});
