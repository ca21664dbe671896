import cron from 'node-cron';
import type { CronEngine } from './sync-scheduler';

/**
 * The production {@link CronEngine}: node-cron in the practice's time zone. Our scheduler does its
 * own single-flight guard (so it can be tested without node-cron), and node-cron calls `tick`
 * without awaiting anything.
 */
export function nodeCronEngine(timeZone?: string): CronEngine {
  return {
    schedule(expression, tick) {
      const task = cron.schedule(expression, () => tick(), timeZone ? { timezone: timeZone } : {});
      return { stop: () => void task.stop() };
    },
  };
}

/** Whether `expression` is a cron expression node-cron accepts (config validation). */
export function isValidCron(expression: string): boolean {
  return cron.validate(expression);
}
