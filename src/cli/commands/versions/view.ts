// `atoll versions view VERSION`: one version: code hash, settings, bindings, modules.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, when, WORKER_OPTIONS, workerName } from '../../platform.ts';

function binding(b: any): string {
  switch (b.type) {
    case 'plain_text': return `${b.name}: text "${b.text}"`;
    case 'json': return `${b.name}: JSON ${JSON.stringify(b.json)}`;
    case 'secret_text': return `${b.name}: secret`;
    case 'kv_namespace': return `${b.name}: KV namespace ${b.namespace_id}`;
    case 'service': return `${b.name}: worker "${b.service}"`;
    default: return `${b.name}: ${b.type}`;
  }
}

export const versionsViewCommand: CommandSpec = platformCommand({
  name: 'versions view',
  summary: 'show one version of a worker: its code, settings and bindings',
  args: [{ name: 'version', help: 'the version id (ver_...), from atoll versions list', required: true }],
  options: [...WORKER_OPTIONS, JSON_OPTION],
  examples: [{ command: 'versions view ver_0123 --name hello', explain: 'what version ver_0123 of "hello" holds' }],
  async run([id], o) {
    const name = workerName(o);
    const { version: v } = await ApiClient.fromLogin().call('GET', `/workers/${seg(name)}/versions/${seg(id!)}`);
    if (o.json) {
      printJson({ version: v });
      return 0;
    }
    const limits = Object.entries(v.limits as Record<string, number>).map(([k, n]) => `${k} ${n}`).join(', ');
    print([
      `Version:            ${v.id}`,
      `Worker:             ${v.worker}`,
      `Created:            ${when(v.created_at)} by token ${v.author_token_id}`,
      `Message:            ${v.message || '-'}`,
      `Hash:               ${v.hash}`,
      `Format:             ${v.format === 'modules' ? 'ES modules' : 'service worker'}, main ${v.main_module}`,
      `Compatibility date: ${v.compatibility_date}`,
      `Flags:              ${v.compatibility_flags.join(', ') || '-'}`,
      `Limits:             ${limits || 'defaults'}`,
      `Bindings:${v.bindings.length === 0 ? '           -' : `\n${v.bindings.map((b: any) => `  ${binding(b)}`).join('\n')}`}`,
      `Modules:\n${v.modules.map((m: any) => `  ${m.name} (${m.type}, ${m.size} bytes)`).join('\n')}`,
    ].join('\n'));
    return 0;
  },
});
