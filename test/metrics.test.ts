// The metrics registry on its own: histograms count into the right cumulative buckets with sum and
// count, request counts keep endpoint and status apart, and two Metrics never share a series.
import t from 'tap';
import { Metrics } from '../lib/metrics.ts';

function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

t.test('histogram buckets are cumulative, with sum and count', async (t) => {
  const m = new Metrics({ processMetrics: false });
  // 0.3 ms, 3 ms and 40 s (past the last bound): performance.now() values in ms.
  m.action('ping', 1000, 1000.3);
  m.action('ping', 1000, 1003);
  m.action('ping', 0.001, 40_000.001);
  const text = await m.scrape();
  const ping = lines(text, 'ajam_action_duration_seconds_bucket{').filter((l) => l.includes('action="ping"'));
  const at = (le: string): number => Number(ping.find((l) => l.includes(`le="${le}"`))!.split(' ')[1]);
  t.equal(at('0.0005'), 1);
  t.equal(at('0.0025'), 1);
  t.equal(at('0.005'), 2);
  t.equal(at('30'), 2);
  t.equal(at('+Inf'), 3);
  t.match(text, /^ajam_action_duration_seconds_count\{action="ping"\} 3$/m);
  const sum = Number(/^ajam_action_duration_seconds_sum\{action="ping"\} (\S+)$/m.exec(text)![1]);
  t.ok(Math.abs(sum - 40.0033) < 1e-6, `sum ${sum}`);
  t.match(text, /^# TYPE ajam_action_duration_seconds histogram$/m);
});

t.test('requests by endpoint and status; instances are independent', async (t) => {
  const a = new Metrics({ processMetrics: false });
  const b = new Metrics({ processMetrics: false });
  a.request('rawman', 200, 1, 2);
  a.request('rawman', 200, 1, 2);
  a.request('rawman', 499, 1, 2);
  a.request('metrics', 403, 0, 0);
  const text = await a.scrape();
  t.match(text, /^ajam_http_requests_total\{endpoint="rawman",status="200"\} 2$/m);
  t.match(text, /^ajam_http_requests_total\{endpoint="rawman",status="499"\} 1$/m);
  t.match(text, /^ajam_http_requests_total\{endpoint="metrics",status="403"\} 1$/m);
  t.match(text, /^ajam_http_request_duration_seconds_count\{endpoint="rawman"\} 3$/m);
  t.notMatch(text, /ajam_http_request_duration_seconds_count\{endpoint="metrics"\}/, 'an untimed request is only counted');
  t.notMatch(await b.scrape(), /ajam_http_requests_total\{/, 'the other instance saw nothing');
});

t.test('resetMetrics() clears the fast series too', async (t) => {
  const m = new Metrics({ processMetrics: false });
  m.action('ping', 1, 2);
  m.request('rawman', 200, 1, 2);
  m.registry.resetMetrics();
  const text = await m.scrape();
  t.notMatch(text, /ajam_action_duration_seconds_count/, 'no observation left');
  t.match(text, /^ajam_http_requests_total\{endpoint="rawman",status="200"\} 1$/m, 'mirrored totals come back from their source');
});
