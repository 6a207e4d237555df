import type { ServiceEndpoints } from '../../scripts/services/endpoints.js';

export interface MailpitSummary {
  ID: string;
  MessageID: string;
  Subject: string;
}

export interface MailpitMessage {
  MessageID: string;
  Subject: string;
  Text: string;
  HTML: string;
}

/** The SMTP catcher's REST API (Mailpit), as the tests read mail back. */
export class Mailpit {
  constructor(private readonly services: ServiceEndpoints) {}

  async getJson<T>(path: string): Promise<T> {
    const res = await fetch(`${this.services.mailApiUrl}${path}`);
    if (!res.ok) throw new Error(`Mailpit ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  async search(to: string): Promise<MailpitSummary[]> {
    const query = encodeURIComponent(`to:"${to}"`);
    return (await this.getJson<{ messages: MailpitSummary[] }>(`/api/v1/search?query=${query}`))
      .messages;
  }

  /** Waits until at least `count` messages to `to` have arrived; returns their summaries. */
  async messagesTo(to: string, count: number, timeoutMs = 10_000): Promise<MailpitSummary[]> {
    const deadline = Date.now() + timeoutMs;
    let found: MailpitSummary[] = [];
    while (Date.now() < deadline) {
      found = await this.search(to);
      if (found.length >= count) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return found;
  }

  message(id: string): Promise<MailpitMessage> {
    return this.getJson<MailpitMessage>(`/api/v1/message/${id}`);
  }

  /** The message's header map ({ Name: [values] }), looked up case-insensitively. */
  async headersOf(id: string): Promise<(name: string) => string[]> {
    const map = await this.getJson<Record<string, string[]>>(`/api/v1/message/${id}/headers`);
    return (name) =>
      Object.entries(map)
        .filter(([k]) => k.toLowerCase() === name.toLowerCase())
        .flatMap(([, v]) => v);
  }
}
