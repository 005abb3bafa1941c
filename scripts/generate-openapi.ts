import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiYaml } from '../services/docs/openapi';

const target = join(__dirname, '..', 'openapi.yaml');
writeFileSync(target, renderOpenApiYaml());
console.log(`wrote ${target}`);
