import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createParsers } from '../../../analyzers/service/tree-sitter.js';
import { moduleInfo, readImports, symbolRefOf } from '../../../analyzers/python/modules.js';
import { ancestors, scanProject } from '../../../analyzers/python/project.js';

test('module names: the path from the root and every shorter suffix; packages and a root that is a package', () => {
  assert.deepEqual(moduleInfo('proj/app/urls.py'), { name: 'proj.app.urls', packageName: 'proj.app', names: ['proj.app.urls', 'app.urls', 'urls'] });
  assert.deepEqual(moduleInfo('app/api/__init__.py'), { name: 'app.api', packageName: 'app.api', names: ['app.api', 'api'] });
  assert.equal(moduleInfo('apps/articles/urls.py', 'conduit').name, 'conduit.apps.articles.urls');
});

test('imports: relative and absolute, aliases, modules; symbol references through them', async () => {
  const tree = await createParsers().parse(
    'python',
    ['from . import views', 'from .views import bp as blueprint', 'from ..core.config import settings', 'import app.api.users', 'import app.api.items as items', 'from conduit import user'].join('\n'),
  );
  const imports = readImports(tree.rootNode, moduleInfo('pkg/sub/urls.py'));
  assert.deepEqual(imports.get('views'), { module: 'pkg.sub', name: 'views' });
  assert.deepEqual(imports.get('blueprint'), { module: 'pkg.sub.views', name: 'bp' });
  assert.deepEqual(imports.get('settings'), { module: 'pkg.core.config', name: 'settings' });
  assert.deepEqual(imports.get('app'), { module: 'app' });
  assert.deepEqual(symbolRefOf('views.UserDetail', imports), { name: 'UserDetail', module: 'pkg.sub.views' });
  assert.deepEqual(symbolRefOf('blueprint', imports), { name: 'bp', module: 'pkg.sub.views' });
  assert.deepEqual(symbolRefOf('app.api.users.router', imports), { name: 'router', module: 'app.api.users' });
  assert.deepEqual(symbolRefOf('items.router', imports), { name: 'router', module: 'app.api.items' });
  assert.deepEqual(symbolRefOf('user.views.blueprint', imports), { name: 'blueprint', module: 'conduit.user.views' });
  assert.deepEqual(symbolRefOf('local_router', imports), { name: 'local_router' });
});

test('project index: class hierarchies across files, methods, DRF settings, Depends aliases', () => {
  const files: Record<string, string> = {
    '__init__.py': '',
    'base.py': 'from rest_framework import generics\n\nclass BaseList(\n    generics.ListAPIView,\n):\n    lookup_field = "slug"\n\n    def get(self, request):\n        pass\n',
    'views.py': 'from .base import BaseList\n\nclass Users(BaseList):\n    pass\n',
    'settings.py': "REST_FRAMEWORK: dict = {\n    'DEFAULT_PAGINATION_CLASS': 'rest_framework.pagination.CursorPagination',\n}\n",
    'deps.py': 'CurrentUser = Annotated[\n    User, Depends(get_current_user)\n]\n\ndef get_current_user(token: str = Depends(oauth2)):\n    pass\n',
  };
  const tree = Object.entries(files).map(([path, text]) => ({ path, absolutePath: `/x/shop/${path}`, read: () => text }));
  const index = scanProject(tree, (p, prefix) => moduleInfo(p, prefix).name);
  assert.equal(index.packagePrefix, 'shop');
  assert.deepEqual(index.classes.BaseList, [{ module: 'shop.base', bases: ['generics.ListAPIView'], methods: ['get'], attrs: { lookup_field: '"slug"' } }]);
  assert.deepEqual(ancestors('Users', index, () => undefined), ['BaseList', 'ListAPIView']);
  assert.equal(index.drf.pagination, 'CursorPagination');
  assert.deepEqual(index.dependsAliases, { CurrentUser: 'get_current_user' });
  assert.deepEqual(index.dependencies, ['get_current_user']);
});

test('project index: instances used as dependencies, dependency and router factories (not decorators), packages above the analyzed root', () => {
  const files: Record<string, string> = {
    '__init__.py': '',
    'deps.py': [
      'class Check:',
      '    def __call__(self, x_v: str = Header(None)):',
      '        pass',
      '',
      'check: Check = Check(minimum="1.0")',
      'router = APIRouter()',
      '',
      'def require_role(role: str):',
      '    def checker(x_role: str = Header(...)):',
      '        pass',
      '    return checker',
      '',
      'def PageSize(',
      '    default: int = 20,',
      '):',
      '    def get_size(size: int = Body(None)):',
      '        return size',
      '    return Depends(get_size)',
      '',
      'def make_router(prefix: str,',
      '                tags=None):',
      '    router = APIRouter(',
      '        prefix=prefix, tags=tags,',
      '    )',
      '    return router',
      '',
      'def logged(fn):',
      '    def wrapper(*args):',
      '        return fn(*args)',
      '    return wrapper',
    ].join('\n'),
    'main.py': 'from acme.shop.deps import check, require_role\nfrom acme.shop import deps\nimport os\n\napp = FastAPI(dependencies=[Depends(check), Depends(require_role("admin"))])\nusers = deps.make_router("/users")\n',
  };
  const tree = Object.entries(files).map(([path, text]) => ({ path, absolutePath: `/x/shop/${path}`, read: () => text }));
  const index = scanProject(tree, (p, prefix) => moduleInfo(p, prefix).name);
  assert.equal(index.packagePrefix, 'acme.shop');
  assert.deepEqual(index.classes.Check?.[0]?.module, 'acme.shop.deps');
  assert.deepEqual(index.instances, { check: 'Check' });
  assert.deepEqual(index.factories, { require_role: { inner: 'checker', marker: false }, PageSize: { inner: 'get_size', marker: true } });
  assert.deepEqual(index.routerFactories, { make_router: { module: 'acme.shop.deps', params: ['prefix', 'tags'], prefix: { param: 'prefix' }, variable: 'router', called: true } });
});
