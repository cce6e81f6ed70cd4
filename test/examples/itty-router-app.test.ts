// examples/itty-router-app: the notes API on itty-router's AutoRouter (checks in notes-api.ts).

import { notesApiSuite } from './notes-api.ts';

notesApiSuite('itty-router-app');
