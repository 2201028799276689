import { Get, Param, Post, Query, Redirect, Render } from '@nestjs/common';
import { AccountSearchService, DevicesService, AccountActivityService } from '@app/accounts';
import { Clock, uuidParam, CurrentActor, type Actor } from '@app/platform';
import { toEventView } from '../activity/event-view.js';
import { toDeviceView } from '../devices/device-view.js';
import { noticeFor } from '../devices/notices.js';
import type { Page } from '../rendering/page.interceptor.js';
import { NoSuchPage, OperatorPages } from './operator.guard.js';

const Id = () => uuidParam(() => new NoSuchPage());

/**
 * For accounts with the operator role: find users by the start of their email (paged), see their devices and events,
 * revoke any device. Non-operators get 404 from OperatorGuard before any handler runs, and the
 * services refuse them again (AccountSearchService, device-policy.ts).
 */
@OperatorPages('admin/users')
export class OperatorsController {
  constructor(
    private readonly accounts: AccountSearchService,
    private readonly devices: DevicesService,
    private readonly events: AccountActivityService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Render('users.hbs')
  async search(@CurrentActor() actor: Actor, @Query('email') email: unknown, @Query('after') after: unknown): Promise<Page> {
    // A repeated parameter arrives as an array: not a search. Cut by code points, not UTF-16 units.
    const query = typeof email === 'string' ? [...email.trim()].slice(0, 254).join('') : '';
    const from = typeof after === 'string' && after.length > 0 ? after : null;
    const page = await this.accounts.search(actor, query, from);
    const href = (start: string | null) =>
      `/admin/users?email=${encodeURIComponent(query)}${start === null ? '' : `&after=${encodeURIComponent(start)}`}`;
    return {
      title: 'Users',
      section: 'admin',
      query,
      searched: query.length > 0,
      users: page.accounts,
      nextHref: page.nextAfter === null ? null : href(page.nextAfter),
      firstHref: from === null ? null : href(null),
    };
  }

  @Get(':userId')
  @Render('user.hbs')
  async show(@CurrentActor() actor: Actor, @Param('userId', Id()) userId: string, @Query('done') done: unknown): Promise<Page> {
    const subject = await this.accounts.get(actor, userId);
    const [devices, activity] = await Promise.all([this.devices.list(actor, userId), this.events.activity(actor, userId)]);
    const now = this.clock.now();
    return {
      title: subject.email,
      section: 'admin',
      subject,
      subjectId: subject.id,
      ownAccount: false,
      devices: devices.map((device) => toDeviceView(device, null, now)),
      events: activity.entries.map((entry) => toEventView(entry, actor, activity.deviceNames, now)),
      notice: noticeFor(done, undefined),
    };
  }

  @Get(':userId/devices/:id/revoke')
  @Render('confirm-revoke.hbs')
  async confirmRevoke(@CurrentActor() actor: Actor, @Param('userId', Id()) userId: string, @Param('id', Id()) id: string): Promise<Page> {
    const device = await this.devices.findRevocable(actor, id);
    if (device.userId !== userId) throw new NoSuchPage();
    return {
      title: 'Revoke device',
      section: 'admin',
      heading: 'Revoke this device as an operator?',
      question: 'The device is signed out within a second. The account holder sees this in their security activity as done by an operator.',
      device: toDeviceView(device, null, this.clock.now()),
      action: `/admin/users/${userId}/devices/${id}/revoke`,
      confirmLabel: 'Revoke',
      cancelHref: `/admin/users/${userId}`,
    };
  }

  @Post(':userId/devices/:id/revoke')
  @Redirect()
  async revoke(
    @CurrentActor() actor: Actor,
    @Param('userId', Id()) userId: string,
    @Param('id', Id()) id: string,
  ): Promise<{ url: string; statusCode: number }> {
    const device = await this.devices.findRevocable(actor, id);
    if (device.userId !== userId) throw new NoSuchPage();
    await this.devices.revoke(actor, id);
    return { url: `/admin/users/${userId}?done=revoked`, statusCode: 303 };
  }
}
