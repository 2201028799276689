import { AppConfig, ConfigurationError } from '@app/platform';

/** The configuration from the environment, or null after printing its named problems (as the apps do: no stack trace). */
export function readConfig(): AppConfig | null {
  try {
    return AppConfig.fromProcessEnv();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    console.error(error.message);
    return null;
  }
}
