// URL and URLSearchParams: https://url.spec.whatwg.org/ — from core-js, whose
// implementation follows the spec's parser state machine.

import URLImpl from 'core-js-pure/web/url';
import URLSearchParamsImpl from 'core-js-pure/web/url-search-params';
import type { URL as URLType, URLSearchParams as URLSearchParamsType } from './types/url.ts';

export const URL = URLImpl as unknown as typeof URLType;
export type URL = URLType;
export const URLSearchParams = URLSearchParamsImpl as unknown as typeof URLSearchParamsType;
export type URLSearchParams = URLSearchParamsType;
