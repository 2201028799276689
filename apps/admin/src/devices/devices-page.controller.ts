import { Body, Controller, Get, Param, Post, Query, Redirect, Render, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DeviceNotFound, DevicesService } from '@app/accounts';
import { RequiresStepUp } from '@app/auth';
import { Clock, uuidParam, CurrentActor, type Actor } from '@app/platform';
import { FormPipe } from '../rendering/form.pipe.js';
import type { Page } from '../rendering/page.interceptor.js';
import { DashboardCookies } from '../session/session-cookies.js';
import { StepUpFilter } from '../step-up/step-up.filter.js';
import { toDeviceView } from './device-view.js';
import { noticeFor } from './notices.js';
import { RenameForm } from './rename.form.js';

const DeviceId = () => uuidParam(() => new DeviceNotFound());

/** "Your devices": list, rename, revoke one, sign out all others (each after a confirmation page). */
@Controller('devices')
export class DevicesPageController {
  constructor(
    private readonly devices: DevicesService,
    private readonly clock: Clock,
    private readonly cookies: DashboardCookies,
  ) {}

  @Get()
  @Render('devices.hbs')
  async list(@CurrentActor() actor: Actor, @Query('done') done: unknown, @Query('count') count: unknown): Promise<Page> {
    const now = this.clock.now();
    const devices = (await this.devices.list(actor)).map((device) => toDeviceView(device, actor.deviceId, now));
    return {
      title: 'Your devices',
      section: 'devices',
      devices,
      ownAccount: true,
      hasOthers: devices.some((device) => !device.current),
      notice: noticeFor(done, count),
    };
  }

  @Get(':id/revoke')
  @Render('confirm-revoke.hbs')
  async confirmRevoke(@CurrentActor() actor: Actor, @Param('id', DeviceId()) id: string): Promise<Page> {
    const device = await this.devices.findRevocable(actor, id);
    if (device.userId !== actor.userId) throw new DeviceNotFound();
    const own = id === actor.deviceId;
    return {
      title: own ? 'Sign out this browser' : 'Revoke device',
      section: 'devices',
      heading: own ? 'Sign out this browser?' : 'Revoke this device?',
      question: own ? 'This browser will be signed out.' : 'It will be signed out within a second and must sign in again to come back.',
      device: toDeviceView(device, actor.deviceId, this.clock.now()),
      action: `/devices/${id}/revoke`,
      confirmLabel: own ? 'Sign out' : 'Revoke',
      cancelHref: '/devices',
    };
  }

  @Post(':id/revoke')
  @RequiresStepUp({ exceptOwnDevice: 'id' })
  @UseFilters(StepUpFilter)
  @Redirect()
  async revoke(
    @CurrentActor() actor: Actor,
    @Param('id', DeviceId()) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    await this.devices.revoke(actor, id);
    if (id !== actor.deviceId) return { url: '/devices?done=revoked', statusCode: 303 };
    this.cookies.endSession(reply);
    return { url: '/signin?done=signed-out', statusCode: 303 };
  }

  @Post(':id/rename')
  @Redirect('/devices?done=renamed', 303)
  async rename(@CurrentActor() actor: Actor, @Param('id', DeviceId()) id: string, @Body(FormPipe) form: RenameForm): Promise<void> {
    await this.devices.rename(actor, id, form.name);
  }

  /**
   * "Sign out all other devices?": which devices that is, by name, and the button that posts to
   * `POST /devices/revoke-others`. Changes nothing; the POST signs out whatever others are
   * signed in by then.
   */
  @Get('revoke-others')
  @Render('confirm-revoke-others.hbs')
  async confirmRevokeOthers(@CurrentActor() actor: Actor, @Query('done') done: unknown): Promise<Page> {
    const now = this.clock.now();
    const others = (await this.devices.list(actor))
      .filter((device) => device.id !== actor.deviceId)
      .map((device) => toDeviceView(device, actor.deviceId, now));
    const count = others.length === 1 ? '1 other device' : `${others.length} other devices`;
    return {
      title: 'Sign out all other devices',
      section: 'devices',
      others,
      count,
      notice: noticeFor(done, undefined),
    };
  }

  @Post('revoke-others')
  @RequiresStepUp()
  @UseFilters(StepUpFilter)
  @Redirect()
  async revokeOthers(@CurrentActor() actor: Actor): Promise<{ url: string; statusCode: number }> {
    return { url: `/devices?done=revoked-others&count=${await this.devices.revokeOthers(actor)}`, statusCode: 303 };
  }
}
