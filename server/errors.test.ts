import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ApiError, errorResponse, excerpt, problemsMessage } from './errors.js';

describe('excerpt', () => {
  it('keeps a short string and cuts a long one to max characters ending in …', () => {
    expect(excerpt('short', 10)).toBe('short');
    expect(excerpt('0123456789abc', 10)).toBe('012345678…');
  });

  it('never leaves half a surrogate pair at the cut', () => {
    const cut = excerpt(`12345678😀tail`, 10);
    expect(cut).toBe('12345678…');
    expect(cut.charCodeAt(cut.length - 2)).toBe('8'.charCodeAt(0));
  });
});

describe('error answers', () => {
  it('list at most 20 problems, each path and message excerpted, with the total', async () => {
    const problems = Array.from({ length: 1000 }, (_, i) => ({
      path: `points[${i}].${'k'.repeat(5000)}`,
      message: `unknown key ${'m'.repeat(5000)}`,
    }));
    const app = new Hono()
      .get('/x', () => {
        throw new ApiError(400, 'invalid_batch', problemsMessage('batch refused', problems), problems);
      })
      .onError(errorResponse);
    const res = await app.request('/x');
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(8 * 1024);
    const body = JSON.parse(text) as {
      message: string;
      problems: { path: string; message: string }[];
      problems_total: number;
    };
    expect(body.problems).toHaveLength(20);
    expect(body.problems_total).toBe(1000);
    expect(body.problems[3]?.path).toHaveLength(120);
    expect(body.problems[3]?.path.endsWith('…')).toBe(true);
    expect(body.problems[3]?.message).toHaveLength(200);
    expect(body.message.length).toBeLessThanOrEqual(1000);
    expect(body.message).toMatch(/^batch refused: points\[0\]\.k+…: unknown key m+…; /);
  });
});
