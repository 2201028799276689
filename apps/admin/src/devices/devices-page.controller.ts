import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Origin, type RequestOrigin } from '@app/auth';
import { DeviceNotFound, DevicesService } from '@app/devices';
import { Clock } from '@app/platform';
import { CsrfTokens } from '../session/csrf.js';
import { DashboardCookies } from '../session/session-cookies.js';
import { CurrentViewer, type Viewer } from '../session/viewer.js';
import { readForm } from '../views/form.js';
import { renderPage } from '../views/render-page.js';
import { toDeviceView } from './device-view.js';
import { noticeFor } from './notices.js';
import { RenameForm } from './rename.form.js';

const DeviceId = () => new ParseUUIDPipe({ exceptionFactory: () => new DeviceNotFound() });

/** "Your devices": list, rename, revoke one (after a confirmation page), sign out all others. */
@Controller('devices')
export class DevicesPageController {
  constructor(
    private readonly devices: DevicesService,
    private readonly clock: Clock,
    private readonly cookies: DashboardCookies,
  ) {}

  @Get()
  async list(@CurrentViewer() viewer: Viewer, @Query('done') done: unknown, @Query('count') count: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.render(reply, viewer, { notice: noticeFor(done, count) });
  }

  @Get(':id/revoke')
  async confirmRevoke(@CurrentViewer() viewer: Viewer, @Param('id', DeviceId()) id: string, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const device = (await this.devices.list(viewer.userId)).find((candidate) => candidate.id === id);
    if (!device) throw new DeviceNotFound();
    const own = id === viewer.deviceId;
    return renderPage(reply, 'confirm-revoke.hbs', viewer, {
      title: own ? 'Sign out this browser' : 'Revoke device',
      section: 'devices',
      heading: own ? 'Sign out this browser?' : 'Revoke this device?',
      question: own ? 'This browser will be signed out.' : 'It will be signed out within a second and must sign in again to come back.',
      device: toDeviceView(device, viewer.deviceId, this.clock.now()),
      action: `/devices/${id}/revoke`,
      confirmLabel: own ? 'Sign out' : 'Revoke',
      cancelHref: '/devices',
    });
  }

  @Post(':id/revoke')
  async revoke(@CurrentViewer() viewer: Viewer, @Param('id', DeviceId()) id: string, @Origin() origin: RequestOrigin, @Res() reply: FastifyReply): Promise<FastifyReply> {
    await this.devices.revoke(viewer.userId, id, { kind: 'user', userId: viewer.userId, deviceId: viewer.deviceId, ...origin });
    if (id === viewer.deviceId) {
      this.cookies.clearSession(reply);
      this.cookies.setPreSession(reply, CsrfTokens.newPreSessionId());
      return reply.redirect('/signin?done=signed-out', 303);
    }
    return reply.redirect('/devices?done=revoked', 303);
  }

  @Post(':id/rename')
  async rename(@CurrentViewer() viewer: Viewer, @Param('id', DeviceId()) id: string, @Body() body: unknown, @Origin() origin: RequestOrigin, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const form = readForm(RenameForm, body);
    if ('error' in form) return this.render(reply, viewer, { error: form.error }, 400);
    await this.devices.rename(viewer.userId, id, form.value.name, { kind: 'user', userId: viewer.userId, deviceId: viewer.deviceId, ...origin });
    return reply.redirect('/devices?done=renamed', 303);
  }

  @Post('revoke-others')
  async revokeOthers(@CurrentViewer() viewer: Viewer, @Origin() origin: RequestOrigin, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const count = await this.devices.revokeOthers(viewer.userId, viewer.deviceId, { kind: 'user', userId: viewer.userId, deviceId: viewer.deviceId, ...origin });
    return reply.redirect(`/devices?done=revoked-others&count=${count}`, 303);
  }

  private async render(reply: FastifyReply, viewer: Viewer, messages: { notice?: string; error?: string }, status = 200): Promise<FastifyReply> {
    const now = this.clock.now();
    const devices = (await this.devices.list(viewer.userId)).map((device) => toDeviceView(device, viewer.deviceId, now));
    return renderPage(reply, 'devices.hbs', viewer, {
      title: 'Your devices',
      section: 'devices',
      devices,
      ownAccount: true,
      hasOthers: devices.some((device) => !device.current),
      ...messages,
    }, status);
  }
}
