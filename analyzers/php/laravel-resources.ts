/**
 * The routes Laravel's resource registrars generate: `Route::resource` (index, create, store,
 * show, edit, update, destroy), `Route::apiResource` (without the HTML forms create and edit),
 * `Route::singleton`/`apiSingleton` (show, edit, update; `->creatable()` adds create, store and
 * destroy), narrowed by `only`/`except`, with nested names (`photos.comments` →
 * `/photos/{photo}/comments/{comment}`), prefixed names (`articles/{article}/comments`),
 * `->shallow()` and `->parameters([...])`. Parameter names are the singular of the resource, as
 * Laravel's `Str::singular` gives for regular English plurals.
 */
import type { HttpMethod } from '../service/facts.js';

export type ResourceKind = 'resource' | 'apiResource' | 'singleton' | 'apiSingleton';

export interface ResourceOptions {
  only?: string[];
  except?: string[];
  parameters?: Record<string, string>;
  shallow?: boolean;
  creatable?: boolean;
  destroyable?: boolean;
}

export interface ResourceRoute {
  action: string;
  methods: HttpMethod[];
  /** Laravel URI (braces), relative to the enclosing group. */
  uri: string;
}

const COLLECTION: readonly { action: string; methods: HttpMethod[]; suffix: string; member: boolean }[] = [
  { action: 'index', methods: ['get'], suffix: '', member: false },
  { action: 'create', methods: ['get'], suffix: '/create', member: false },
  { action: 'store', methods: ['post'], suffix: '', member: false },
  { action: 'show', methods: ['get'], suffix: '', member: true },
  { action: 'edit', methods: ['get'], suffix: '/edit', member: true },
  { action: 'update', methods: ['put', 'patch'], suffix: '', member: true },
  { action: 'destroy', methods: ['delete'], suffix: '', member: true },
];

/** The routes of one resource registration. */
export function resourceRoutes(kind: ResourceKind, name: string, options: ResourceOptions = {}): ResourceRoute[] {
  const clean = name.replace(/^\/+|\/+$/g, '');
  // `articles/{article}/comments`: everything before the last segment is a prefix.
  const slash = clean.lastIndexOf('/');
  const prefix = slash >= 0 ? clean.slice(0, slash) : '';
  const dotted = (slash >= 0 ? clean.slice(slash + 1) : clean).split('.');
  const last = dotted[dotted.length - 1]!;
  const param = (seg: string): string => options.parameters?.[seg] ?? singular(seg).replace(/-/g, '_');
  const parents = dotted
    .slice(0, -1)
    .map((seg) => `${seg}/{${param(seg)}}`)
    .join('/');
  const base = [prefix, parents, last].filter(Boolean).join('/');
  const shallowBase = [prefix, last].filter(Boolean).join('/');

  let actions: { action: string; methods: HttpMethod[]; uri: string }[];
  if (kind === 'singleton' || kind === 'apiSingleton') {
    const all = [
      { action: 'create', methods: ['get'] as HttpMethod[], uri: `${base}/create`, when: kind === 'singleton' && options.creatable },
      { action: 'store', methods: ['post'] as HttpMethod[], uri: base, when: options.creatable },
      { action: 'show', methods: ['get'] as HttpMethod[], uri: base, when: true },
      { action: 'edit', methods: ['get'] as HttpMethod[], uri: `${base}/edit`, when: kind === 'singleton' },
      { action: 'update', methods: ['put', 'patch'] as HttpMethod[], uri: base, when: true },
      { action: 'destroy', methods: ['delete'] as HttpMethod[], uri: base, when: options.creatable || options.destroyable },
    ];
    actions = all.filter((a) => a.when).map(({ action, methods, uri }) => ({ action, methods, uri }));
  } else {
    actions = COLLECTION.filter((a) => kind === 'resource' || (a.action !== 'create' && a.action !== 'edit')).map((a) => ({
      action: a.action,
      methods: a.methods,
      uri: a.member ? `${options.shallow && dotted.length > 1 ? shallowBase : base}/{${param(last)}}${a.suffix}` : `${base}${a.suffix}`,
    }));
  }
  if (options.only) actions = actions.filter((a) => options.only!.includes(a.action));
  if (options.except) actions = actions.filter((a) => !options.except!.includes(a.action));
  return actions;
}

const IRREGULAR: Record<string, string> = {
  people: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  mice: 'mouse',
  geese: 'goose',
  feet: 'foot',
  teeth: 'tooth',
  data: 'data',
  media: 'media',
  news: 'news',
  series: 'series',
  species: 'species',
  status: 'status',
  analyses: 'analysis',
  criteria: 'criterion',
};

/** English singular of a (snake or kebab case) resource name's last word. */
export function singular(word: string): string {
  const m = /^(.*?)([A-Za-z]+)$/.exec(word);
  if (!m) return word;
  const [, head, tail] = m;
  const lower = tail!.toLowerCase();
  let out: string;
  if (IRREGULAR[lower]) out = IRREGULAR[lower]!;
  else if (/ies$/.test(lower) && lower.length > 3) out = `${lower.slice(0, -3)}y`;
  else if (/(ss|sh|ch|x|z|us)es$/.test(lower)) out = lower.slice(0, -2);
  else if (/ss$/.test(lower) || /us$/.test(lower) || /is$/.test(lower)) out = lower;
  else if (/s$/.test(lower)) out = lower.slice(0, -1);
  else out = lower;
  return `${head}${tail === lower ? out : out}`;
}
