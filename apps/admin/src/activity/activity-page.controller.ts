import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DeviceRepository } from '@app/persistence';
import { SecurityEventsService } from '@app/devices';
import { Clock } from '@app/platform';
import { CurrentViewer, type Viewer } from '../session/viewer.js';
import { renderPage } from '../views/render-page.js';
import { toEventView } from './event-view.js';

/** "Security activity": the account's recent security events, newest first. */
@Controller('activity')
export class ActivityPageController {
  constructor(
    private readonly events: SecurityEventsService,
    private readonly devices: DeviceRepository,
    private readonly clock: Clock,
  ) {}

  @Get()
  async list(@CurrentViewer() viewer: Viewer, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const [events, names] = await Promise.all([this.events.recent(viewer.userId), this.devices.namesByUser(viewer.userId)]);
    const now = this.clock.now();
    return renderPage(reply, 'activity.hbs', viewer, {
      title: 'Security activity',
      section: 'activity',
      events: events.map((event) => toEventView(event, viewer, names, now)),
    });
  }
}
