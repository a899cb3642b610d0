# Ficus image for docker-compose.yml. Native addons (better-sqlite3, tree-sitter) build here.
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev
ENTRYPOINT ["node", "/app/dist/cli/ficus.js"]
