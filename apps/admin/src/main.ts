import 'reflect-metadata';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, ProblemDetailsFilter } from '@app/platform';
import { AdminModule } from './admin.module.js';

const app = await NestFactory.create<NestFastifyApplication>(AdminModule.forRoot(), new FastifyAdapter());
app.useGlobalFilters(new ProblemDetailsFilter(app.get(HttpAdapterHost)));
app.enableShutdownHooks();
const config = app.get(AppConfig);
await app.listen(config.adminPort, config.host);
