// Shared fixtures for the model tests: the real node-type catalog as the server answers it.
import { readFileSync } from 'node:fs';
import { Catalog } from '../../web/js/model/catalog.js';

export const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
export const catalog = () => new Catalog(fixture('node-types.json'));
