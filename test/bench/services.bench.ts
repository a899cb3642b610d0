/**
 * Service analysis rate (issue #6): generates a multi-language tree of ~100k lines (Spring
 * controllers and DTOs, ASP.NET controllers, Laravel routes and controllers, FastAPI and Flask
 * modules, Express routers in JS and TS, mounted across files) and runs the whole `ficus
 * analyze` pipeline on it (walk, detect, parse, extract, link; no cache). Prints files/s and
 * lines/s, and, as the baseline measured in the same run, tree-sitter parsing alone of the same
 * files with the same grammars: the ratio analysis/parse shows what extraction and linking cost
 * on top of the one parse per file. No assertions (benchmarks never fail the suite).
 *
 * Run: npm run bench -- services   (or node dist/test/bench/services.bench.js [targetLines])
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { analyze } from '../../analyzers/analyze.js';
import { frontends } from '../../analyzers/frontends.js';
import { createParsers, type GrammarName } from '../../analyzers/service/tree-sitter.js';

type Gen = (n: number) => { path: string; text: string }[];

const entities = ['account', 'loan', 'payment', 'customer', 'invoice', 'order', 'product', 'branch'];
const cap = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

const java: Gen = (n) => {
  const e = entities[n % entities.length]!;
  const E = `${cap(e)}${n}`;
  const methods: string[] = [];
  for (let m = 0; m < 8; m++) {
    methods.push(
      `    @GetMapping("/{id}/part${m}")`,
      `    public ResponseEntity<${E}Dto> get${m}(@PathVariable Long id, @RequestParam(required = false) String filter, @RequestHeader("X-Tenant") String tenant) {`,
      `        if (id == null || id < 0) {`,
      `            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "id must be positive");`,
      `        }`,
      `        ${E}Dto dto = service.find(id);`,
      `        if (dto == null) {`,
      `            return ResponseEntity.notFound().build();`,
      `        }`,
      `        dto.setTotal(dto.getAmount() * dto.getRate() + ${m});`,
      `        return ResponseEntity.ok(dto);`,
      `    }`,
      '',
      `    @PostMapping("/part${m}")`,
      `    @ResponseStatus(HttpStatus.CREATED)`,
      `    public ${E}Dto create${m}(@Valid @RequestBody ${E}Dto body) {`,
      `        return service.save(body);`,
      `    }`,
      '',
    );
  }
  const ctl = [`package com.acme.${e};`, '', 'import org.springframework.web.bind.annotation.*;', 'import org.springframework.http.*;', '', '@RestController', `@RequestMapping(Paths.BASE + "/${e}s${n}")`, `public class ${E}Controller {`, `    private final ${E}Service service = null;`, '', ...methods, '}', ''];
  const dto = [`package com.acme.${e};`, '', 'import javax.validation.constraints.*;', '', `public class ${E}Dto {`, '    @NotNull', '    private Long id;', '    @Size(min = 1, max = 40)', '    private String name;', '    @Min(0)', '    private double amount;', '    private double rate;', '    private double total;', '    private java.util.List<String> tags;', ...['id', 'name', 'amount', 'rate', 'total'].map((f) => `    public Object get${cap(f)}() { return ${f}; }`), '}', ''];
  const out = [
    { path: `java/src/main/java/com/acme/${e}/${E}Controller.java`, text: ctl.join('\n') },
    { path: `java/src/main/java/com/acme/${e}/${E}Dto.java`, text: dto.join('\n') },
  ];
  if (n === 0) out.push({ path: 'java/src/main/java/com/acme/Paths.java', text: 'package com.acme;\n\npublic final class Paths {\n    public static final String BASE = "/api";\n}\n' });
  return out;
};

const csharp: Gen = (n) => {
  const e = entities[n % entities.length]!;
  const E = `${cap(e)}${n}`;
  const lines = ['using Microsoft.AspNetCore.Mvc;', '', `namespace Acme.${cap(e)};`, '', '[ApiController]', '[Route("api/[controller]")]', `public class ${E}Controller : ControllerBase`, '{'];
  for (let m = 0; m < 8; m++) {
    lines.push(
      `    [HttpGet("{id:int}/part${m}")]`,
      `    public ActionResult<${E}Model> Get${m}(int id, [FromQuery] string? filter, [FromHeader(Name = "X-Tenant")] string tenant)`,
      '    {',
      '        if (id <= 0) return BadRequest("id must be positive");',
      '        var model = Find(id);',
      '        if (model == null) return NotFound();',
      `        model.Total = model.Amount * model.Rate + ${m};`,
      '        return Ok(model);',
      '    }',
      '',
      `    [HttpPost("part${m}")]`,
      `    public IActionResult Create${m}([FromBody] ${E}Model body) => CreatedAtAction(nameof(Get${m}), new { id = 1 }, body);`,
      '',
    );
  }
  lines.push(`    private ${E}Model? Find(int id) => null;`, '}', '', `public class ${E}Model`, '{', '    [Required]', '    [StringLength(40, MinimumLength = 1)]', '    public string Name { get; set; } = "";', '    [Range(0, 1000000)]', '    public decimal Amount { get; set; }', '    public decimal Rate { get; set; }', '    public decimal Total { get; set; }', '}', '');
  return [{ path: `csharp/Controllers/${E}Controller.cs`, text: lines.join('\n') }];
};

const php: Gen = (n) => {
  const e = entities[n % entities.length]!;
  const E = `${cap(e)}${n}`;
  const ctl = ['<?php', '', 'namespace App\\Http\\Controllers;', '', 'use Illuminate\\Http\\Request;', '', `class ${E}Controller extends Controller`, '{'];
  for (const m of ['index', 'store', 'show', 'update', 'destroy']) {
    ctl.push(
      `    public function ${m}(Request $request${m === 'index' || m === 'store' ? '' : ', $id'})`,
      '    {',
      "        $data = $request->validate(['name' => 'required|string|max:40', 'amount' => 'numeric|min:0']);",
      "        if ($request->query('status') === 'closed') {",
      "            abort(404, 'not found');",
      '        }',
      "        $total = $data['amount'] * 1.05;",
      "        return response()->json(['total' => $total], 200);",
      '    }',
      '',
    );
  }
  ctl.push('}', '');
  return [{ path: `php/app/Http/Controllers/${E}Controller.php`, text: ctl.join('\n') }];
};

const phpRoutes = (count: number): { path: string; text: string } => {
  const lines = ['<?php', '', 'use Illuminate\\Support\\Facades\\Route;', ''];
  for (let n = 0; n < count; n++) {
    const e = entities[n % entities.length]!;
    const E = `${cap(e)}${n}`;
    lines.push(`Route::prefix('v${n}')->group(function () {`, `    Route::apiResource('${e}s', \\App\\Http\\Controllers\\${E}Controller::class);`, `    Route::get('${e}s/{id}/history', [\\App\\Http\\Controllers\\${E}Controller::class, 'show'])->where('id', '[0-9]+');`, '});', '');
  }
  return { path: 'php/routes/api.php', text: lines.join('\n') };
};

const python: Gen = (n) => {
  const e = entities[n % entities.length]!;
  const E = `${cap(e)}${n}`;
  const fast = ['from typing import List, Optional', 'from fastapi import APIRouter, HTTPException, Header, Query', 'from pydantic import BaseModel, Field', '', '', `class ${E}(BaseModel):`, '    name: str = Field(..., min_length=1, max_length=40)', '    amount: float = Field(0, ge=0)', '    rate: float = 0.05', '    tags: List[str] = []', '', '', `router = APIRouter(prefix="/${e}s${n}", tags=["${e}"])`, ''];
  for (let m = 0; m < 8; m++) {
    fast.push(
      '',
      `@router.get("/{item_id}/part${m}", response_model=${E})`,
      `def get_${e}_${m}(item_id: int, q: Optional[str] = None, limit: int = Query(10, le=100), x_tenant: str = Header(...)):`,
      '    if item_id < 0:',
      '        raise HTTPException(status_code=400, detail="item_id must be positive")',
      '    item = None',
      '    if item is None:',
      '        raise HTTPException(status_code=404, detail="not found")',
      `    total = item.amount * item.rate + ${m}`,
      '    return item',
      '',
      `@router.post("/part${m}", status_code=201)`,
      `def create_${e}_${m}(body: ${E}) -> ${E}:`,
      '    return body',
    );
  }
  const out = [{ path: `python/app/api/${e}${n}.py`, text: fast.join('\n') + '\n' }];
  return out;
};

const pythonMain = (count: number): { path: string; text: string } => {
  const lines = ['from fastapi import FastAPI', ''];
  for (let n = 0; n < count; n++) lines.push(`from app.api import ${entities[n % entities.length]}${n}`);
  lines.push('', 'app = FastAPI()', '');
  for (let n = 0; n < count; n++) lines.push(`app.include_router(${entities[n % entities.length]}${n}.router, prefix="/api")`);
  return { path: 'python/app/main.py', text: lines.join('\n') + '\n' };
};

const js: Gen = (n) => {
  const e = entities[n % entities.length]!;
  const ts = n % 2 === 1;
  const lines = ts
    ? ["import { Router, Request, Response } from 'express';", '', `interface ${cap(e)}${n} {`, '  id: number;', '  name: string;', '  amount?: number;', '}', '', 'const router = Router();', '']
    : ["const express = require('express');", '', 'const router = express.Router();', ''];
  for (let m = 0; m < 8; m++) {
    lines.push(
      `router.get('/:id/part${m}', async (req${ts ? ': Request' : ''}, res${ts ? ': Response' : ''}) => {`,
      '  const { page, limit } = req.query;',
      "  const tenant = req.get('X-Tenant');",
      '  if (!req.params.id) {',
      "    return res.status(400).json({ error: 'id required' });",
      '  }',
      '  const item = null;',
      '  if (!item) {',
      "    return res.status(404).json({ error: 'not found' });",
      '  }',
      `  const total = item.amount * item.rate + ${m};`,
      '  res.json({ item, total, page, limit, tenant });',
      '});',
      '',
      `router.route('/part${m}').post((req, res) => res.status(201).json(req.body)).put((req, res) => res.sendStatus(204));`,
      '',
    );
  }
  lines.push(ts ? 'export default router;' : 'module.exports = router;', '');
  return [{ path: `js/src/routes/${e}${n}.${ts ? 'ts' : 'js'}`, text: lines.join('\n') }];
};

const jsApp = (count: number): { path: string; text: string } => {
  const lines = ["const express = require('express');", '', 'const app = express();', ''];
  for (let n = 0; n < count; n++) {
    const name = `${entities[n % entities.length]}${n}`;
    lines.push(`app.use('/api/${name}', require('./routes/${name}'));`);
  }
  lines.push('', 'module.exports = app;', '');
  return { path: 'js/src/app.js', text: lines.join('\n') };
};

function generate(dir: string, targetLines: number): { files: { path: string; text: string }[]; lines: number } {
  const files: { path: string; text: string }[] = [];
  let lines = 0;
  let n = 0;
  const gens = [java, csharp, php, python, js];
  while (lines < targetLines) {
    for (const g of gens) {
      for (const f of g(n)) {
        files.push(f);
        lines += f.text.split('\n').length;
      }
    }
    n++;
  }
  files.push(phpRoutes(n), pythonMain(n), jsApp(n));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
  return { files, lines: files.reduce((s, f) => s + f.text.split('\n').length, 0) };
}

function grammarOf(path: string): GrammarName | undefined {
  if (path.endsWith('.java')) return 'java';
  if (path.endsWith('.cs')) return 'c-sharp';
  if (path.endsWith('.php')) return 'php';
  if (path.endsWith('.py')) return 'python';
  if (path.endsWith('.ts')) return 'typescript';
  if (path.endsWith('.js')) return 'javascript';
  return undefined;
}

async function parseOnly(files: { path: string; text: string }[]): Promise<number> {
  const parsers = createParsers();
  for (const g of ['java', 'c-sharp', 'php', 'python', 'typescript', 'javascript'] as const) await parsers.parse(g, '');
  const start = process.hrtime.bigint();
  for (const f of files) {
    const g = grammarOf(f.path);
    if (g) (await parsers.parse(g, f.text)).rootNode;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function analyzeAll(dir: string): Promise<{ seconds: number; operations: number; rules: number; files: number; byLanguage: Record<string, number> }> {
  const start = process.hrtime.bigint();
  const result = await analyze({ paths: [dir], frontends });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const byLanguage: Record<string, number> = {};
  for (const f of result.files) byLanguage[f.source.language] = (byLanguage[f.source.language] ?? 0) + f.operations.length;
  return { seconds, operations: result.summary.operations, rules: result.summary.rules, files: result.summary.files, byLanguage };
}

const target = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'ficus-services-bench-'));
try {
  const warm = mkdtempSync(join(tmpdir(), 'ficus-services-warm-'));
  try {
    generate(warm, 3000);
    await analyzeAll(warm); // JIT and grammar loading
  } finally {
    rmSync(warm, { recursive: true, force: true });
  }
  const { files, lines } = generate(dir, target);
  const parseSeconds = await parseOnly(files);
  const run = await analyzeAll(dir);
  const mem = process.memoryUsage();
  console.log(`services analysis: ${run.files} files, ${lines} lines in ${run.seconds.toFixed(2)} s = ${Math.round(run.files / run.seconds)} files/s, ${Math.round(lines / run.seconds)} lines/s`);
  console.log(`  found ${run.operations} operations (${Object.entries(run.byLanguage).map(([l, c]) => `${l} ${c}`).join(', ')}), ${run.rules} rules; rss ${Math.round(mem.rss / 1048576)} MiB`);
  console.log(`baseline, tree-sitter parse only of the same files: ${parseSeconds.toFixed(2)} s = ${Math.round(lines / parseSeconds)} lines/s; analysis/parse time ratio = ${(run.seconds / parseSeconds).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
