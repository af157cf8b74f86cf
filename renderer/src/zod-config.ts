import { z } from 'zod';

// The page's policy allows no eval: zod checks forms without compiling them to functions, and
// without first trying whether it may (a try the policy reports as a violation). Imported
// first by main.tsx, before any module parses a schema.
z.config({ jitless: true });
