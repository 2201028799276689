import { Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Origin, type RequestOrigin } from '@app/auth';
import { DeviceNotFound, DevicesService, SecurityEventsService } from '@app/devices';
import { DeviceRepository, UserRepository } from '@app/persistence';
import { Clock } from '@app/platform';
import { toEventView } from '../activity/event-view.js';
import { toDeviceView } from '../devices/device-view.js';
import { noticeFor } from '../devices/notices.js';
import { CurrentViewer, type Viewer } from '../session/viewer.js';
import { renderPage } from '../views/render-page.js';
import { NoSuchPage, OperatorPages } from './operator.guard.js';

const Id = () => new ParseUUIDPipe({ exceptionFactory: () => new NoSuchPage() });
const MAX_RESULTS = 25;

/**
 * For accounts with the operator role: find a user by email, see their devices and events,
 * revoke any device. Non-operators get 404 from OperatorGuard before any handler runs.
 */
@OperatorPages('admin/users')
export class OperatorsController {
  constructor(
    private readonly users: UserRepository,
    private readonly deviceRows: DeviceRepository,
    private readonly devices: DevicesService,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
  ) {}

  @Get()
  async search(@CurrentViewer() viewer: Viewer, @Query('email') email: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const query = typeof email === 'string' ? email.trim().slice(0, 254) : '';
    const users = query ? await this.users.searchByEmail(query, MAX_RESULTS) : [];
    return renderPage(reply, 'users.hbs', viewer, { title: 'Users', section: 'admin', query, searched: query.length > 0, users });
  }

  @Get(':userId')
  async show(@CurrentViewer() viewer: Viewer, @Param('userId', Id()) userId: string, @Query('done') done: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const subject = await this.users.findById(userId);
    if (!subject) throw new NoSuchPage();
    const now = this.clock.now();
    const [devices, events, names] = await Promise.all([this.devices.list(userId), this.events.recent(userId), this.deviceRows.namesByUser(userId)]);
    return renderPage(reply, 'user.hbs', viewer, {
      title: subject.email,
      section: 'admin',
      subject: { id: subject.id, email: subject.email },
      subjectId: subject.id,
      ownAccount: false,
      devices: devices.map((device) => toDeviceView(device, null, now)),
      events: events.map((event) => toEventView(event, { userId: viewer.userId, deviceId: viewer.deviceId }, names, now)),
      notice: noticeFor(done, undefined),
    });
  }

  @Get(':userId/devices/:id/revoke')
  async confirmRevoke(@CurrentViewer() viewer: Viewer, @Param('userId', Id()) userId: string, @Param('id', Id()) id: string, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const device = (await this.devices.list(userId)).find((candidate) => candidate.id === id);
    if (!device) throw new DeviceNotFound();
    return renderPage(reply, 'confirm-revoke.hbs', viewer, {
      title: 'Revoke device',
      section: 'admin',
      heading: 'Revoke this device as an operator?',
      question: 'The device is signed out within a second. The account holder sees this in their security activity as done by an operator.',
      device: toDeviceView(device, null, this.clock.now()),
      action: `/admin/users/${userId}/devices/${id}/revoke`,
      confirmLabel: 'Revoke',
      cancelHref: `/admin/users/${userId}`,
    });
  }

  @Post(':userId/devices/:id/revoke')
  async revoke(
    @CurrentViewer() viewer: Viewer,
    @Param('userId', Id()) userId: string,
    @Param('id', Id()) id: string,
    @Origin() origin: RequestOrigin,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    await this.devices.revoke(userId, id, { kind: 'operator', userId: viewer.userId, deviceId: viewer.deviceId, ...origin });
    return reply.redirect(`/admin/users/${userId}?done=revoked`, 303);
  }
}
