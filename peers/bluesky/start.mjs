// Start the reference AT Protocol network for hubbub's tests: PLC + PDS + AppView (bsky) + bsync
// + Ozone from @atproto/dev-env's TestNetwork, the AppView, bsync and Ozone on PostgreSQL.
//
//   node start.mjs --plc-port N --pds-port N --bsky-port N --ozone-port N [--schema NAME]
//
// Every option falls back to an environment variable (HUBBUB_BSKY_PLC_PORT, _PDS_PORT,
// _APPVIEW_PORT, _OZONE_PORT, DB_POSTGRES_SCHEMA) and then to dev-env's usual ports.
// Environment:
//   HUBBUB_BSKY_MODULES  folder holding node_modules/@atproto/dev-env (default: this folder)
//   DB_POSTGRES_URL      default postgresql://root@127.0.0.1:5432/test
//   TMPDIR               PDS SQLite files and blobs land here and are never removed: the
//                        launcher points it at a folder it wipes.
// When ready it prints one line: "HUBBUB_PEER_READY {json}" with the service URLs.
// SIGTERM or SIGINT: close the network, drop its PostgreSQL schemas, exit 0.
//
// Must run on Node 22 (the @atproto packages fail to import on Node 20).

import dns from 'node:dns'
import net from 'node:net'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const HOST = '127.0.0.1'

// 1. Loopback only. dev-env's servers (and the helpers it starts on random ports: dataplane,
// bsync, a second PDS) call listen(port) on every interface: pin them all to 127.0.0.1.
const originalListen = net.Server.prototype.listen
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0]
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (first.path === undefined && first.fd === undefined && first._handle === undefined &&
        first.handle === undefined && !(first instanceof net.Server) && !(first instanceof net.Socket)) {
      args[0] = { ...first, host: HOST }
    }
  } else if (first === undefined || first === null || typeof first === 'function') {
    args.splice(0, first === undefined || first === null ? 1 : 0, 0, HOST)
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') args[1] = HOST
    else args.splice(1, 0, HOST)
  }
  return originalListen.apply(this, args)
}
// "localhost" in every URL dev-env builds: resolve it to the address we listen on.
dns.setDefaultResultOrder('ipv4first')

// 2. Options.
const { values: opts } = parseArgs({
  options: {
    'plc-port': { type: 'string' },
    'pds-port': { type: 'string' },
    'bsky-port': { type: 'string' },
    'ozone-port': { type: 'string' },
    schema: { type: 'string' },
  },
})
const port = (opt, envName, fallback) => {
  const raw = opts[opt] ?? process.env[envName] ?? String(fallback)
  const n = Number.parseInt(raw, 10)
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`bad --${opt}: ${raw}`)
  return n
}
const plcPort = port('plc-port', 'HUBBUB_BSKY_PLC_PORT', 2582)
const pdsPort = port('pds-port', 'HUBBUB_BSKY_PDS_PORT', 2583)
const bskyPort = port('bsky-port', 'HUBBUB_BSKY_APPVIEW_PORT', 2584)
const ozonePort = port('ozone-port', 'HUBBUB_BSKY_OZONE_PORT', 2587)
const schema = opts.schema ?? process.env.DB_POSTGRES_SCHEMA ?? 'hubbub'
// bsync and the AppView accept only [A-Za-z_] in a schema name.
if (!/^[a-z_]{1,40}$/.test(schema)) throw new Error(`bad schema name (only a-z and _): ${schema}`)
const dbUrl = process.env.DB_POSTGRES_URL || 'postgresql://root@127.0.0.1:5432/test'
process.env.DB_POSTGRES_URL = dbUrl
process.env.DB_POSTGRES_SCHEMA = schema
// TestNetwork.create asserts REDIS_HOST is set, but nothing reads it: point it at nothing.
process.env.REDIS_HOST ||= '127.0.0.1:1'

// 3. Modules: installed by install.sh outside the repo's tree (HUBBUB_BSKY_MODULES).
const here = path.dirname(fileURLToPath(import.meta.url))
const modulesRoot = process.env.HUBBUB_BSKY_MODULES || here
const requireFromModules = createRequire(path.join(modulesRoot, 'package.json'))
const load = (name) => import(pathToFileURL(requireFromModules.resolve(name)).href)
const pg = (await load('pg')).default
const { TestNetwork } = await load('@atproto/dev-env')

// 4. PostgreSQL: PLC and PDS start empty each time, so the AppView's, bsync's and Ozone's
// schemas must too. A network holds a session-level advisory lock on its schema name for its
// whole life; schemas of ours ("hubbub" or "hubbub_<letters>") whose lock nobody holds belong to
// a network that was killed (SIGKILL, so it never dropped them): drop those as well.
const LOCK_CLASS = 1752523362 // "hubb"
const PREFIXES = ['appview_', 'bsync_', 'ozone_']
const OURS = /^(appview|bsync|ozone)_(hubbub(?:_[a-z]+)?)$/
const lockHolder = new pg.Client({ connectionString: dbUrl })
await lockHolder.connect()
const lockSql = (fn) => `SELECT ${fn}(${LOCK_CLASS}, hashtext($1)) AS ok`
async function dropSchemasOf(client, base) {
  for (const p of PREFIXES) await client.query(`DROP SCHEMA IF EXISTS "${p}${base}" CASCADE`)
}
await lockHolder.query(lockSql('pg_advisory_lock'), [schema])
await dropSchemasOf(lockHolder, schema)
{
  const found = await lockHolder.query('SELECT nspname FROM pg_namespace')
  const stale = new Set()
  for (const { nspname } of found.rows) {
    const m = OURS.exec(nspname)
    if (m && m[2] !== schema) stale.add(m[2])
  }
  for (const base of stale) {
    const { rows } = await lockHolder.query(lockSql('pg_try_advisory_lock'), [base])
    if (!rows[0].ok) continue // a live network's
    try {
      await dropSchemasOf(lockHolder, base)
    } finally {
      await lockHolder.query(lockSql('pg_advisory_unlock'), [base])
    }
  }
}
async function dropSchemas() {
  await dropSchemasOf(lockHolder, schema)
  await lockHolder.end() // releases the lock
}

// 5. Start.
const closedPort = 'http://localhost:1' // nothing listens there: a call fails fast, no DNS
const network = await TestNetwork.create({
  dbPostgresUrl: dbUrl,
  dbPostgresSchema: schema,
  plc: { port: plcPort },
  pds: { port: pdsPort, hostname: 'localhost', enableDidDocWithSession: true },
  bsky: { port: bskyPort, publicUrl: `http://localhost:${bskyPort}` },
  ozone: { port: ozonePort, chatUrl: closedPort, chatDid: 'did:example:chat' },
})

// 6. A feed generator for custom-feed columns (dev-env's TestFeedGen: a DID on our PLC whose
// service is an XRPC server answering app.bsky.feed.getFeedSkeleton, which the AppView calls
// for app.bsky.feed.getFeed). A test publishes an app.bsky.feed.generator record naming
// `feedgen_did`; its record key picks the feed: "hubbub-by-owner" lists the posts of the account
// that published the record, as the AppView indexed them, newest first (cursor: the last post's
// sortAt), "hubbub-broken" fails, any other is unknown (UnknownFeed).
function skeletonFor(uri) {
  const [, , owner, , rkey] = String(uri).split('/')
  if (rkey === 'hubbub-broken') {
    return async () => {
      throw new Error('this feed generator is broken on purpose')
    }
  }
  if (rkey !== 'hubbub-by-owner') return undefined
  return async ({ params }) => {
    const limit = Math.min(Math.max(Number(params.limit) || 50, 1), 100)
    let query = network.bsky.db.db
      .selectFrom('post')
      .select(['uri', 'sortAt'])
      .where('creator', '=', owner)
      .orderBy('sortAt', 'desc')
      .orderBy('cid', 'desc')
      .limit(limit)
    if (params.cursor) query = query.where('sortAt', '<', String(params.cursor))
    const rows = await query.execute()
    const cursor = rows.length === limit ? String(rows[rows.length - 1].sortAt) : undefined
    return {
      encoding: 'application/json',
      body: { feed: rows.map((row) => ({ post: row.uri })), cursor },
    }
  }
}
const feedGen = await network.createFeedGen(
  new Proxy({}, { get: (_target, key) => (typeof key === 'string' ? skeletonFor(key) : undefined) }),
)

let stopping = false
async function stop(signal) {
  if (stopping) return
  stopping = true
  // A close that hangs must not keep the process alive: the launcher SIGKILLs after its grace
  // period anyway, but exit on our own first.
  setTimeout(() => process.exit(1), 15_000).unref()
  let code = 0
  try {
    await network.close()
  } catch (err) {
    console.error(`close after ${signal}:`, err)
    code = 1
  }
  try {
    await dropSchemas()
  } catch (err) {
    console.error('dropping schemas:', err)
    code = 1
  }
  process.exit(code)
}
process.on('SIGTERM', () => void stop('SIGTERM'))
process.on('SIGINT', () => void stop('SIGINT'))

const info = {
  pid: process.pid,
  plc: network.plc.url,
  pds: network.pds.url,
  appview: network.bsky.url,
  appview_did: network.bsky.serverDid,
  ozone: network.ozone.url,
  ozone_did: network.ozone.ctx.cfg.service.did,
  feedgen_did: feedGen.did,
  schema,
  node: process.version,
}
process.stdout.write(`HUBBUB_PEER_READY ${JSON.stringify(info)}\n`)
