import { Controller, Get, Module } from '@nestjs/common';
import { PLATFORM } from '@app/platform';

@Controller()
class RootController {
  @Get()
  root() {
    return { name: PLATFORM };
  }
}

@Module({ controllers: [RootController] })
export class ApiModule {}
