import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiModule } from './api.module.js';

const app = await NestFactory.create<NestFastifyApplication>(ApiModule, new FastifyAdapter());
await app.listen(3000, '127.0.0.1');
console.log('listening');
