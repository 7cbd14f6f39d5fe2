#!/usr/bin/env node
import { launch } from './launch.js';

await launch(() => import('./tools/airtable-emulator.js'));
