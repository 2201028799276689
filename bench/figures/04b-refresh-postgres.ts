import { ApiClient } from '../support/api-client.js';
import { email, registerAll, startApi, type Context } from '../support/context.js';
import { measureRefresh, type RefreshFigures } from './04-refresh.js';

/**
 * Figure 4b: the same chained refreshes as figure 4 on another database (the scratch local
 * PostgreSQL), with an API process and accounts of its own, for the figure beside 4.
 */
export async function measureRefreshOnPostgres(context: Context, databaseUrl: string): Promise<RefreshFigures> {
  const { settings } = context;
  const api = await startApi(context, databaseUrl);
  try {
    const client = new ApiClient(api.url);
    const users = Array.from({ length: settings.refreshSessions }, (_, i) => email(`pg-session-${i}`));
    await registerAll(client, users);
    return await measureRefresh(context, api, client, users);
  } finally {
    await api.stop();
  }
}
