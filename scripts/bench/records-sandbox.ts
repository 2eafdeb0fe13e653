import { loadIcsConfig } from '../../infra/ics-configs'
import { startGpConnectSandboxServer } from '../local/sandbox/gpconnect/server'
import { announce, exitWithParent } from './processes'

/* The records suite's GP Connect providers, in a process of their own (real ones are elsewhere). */
const server = await startGpConnectSandboxServer(loadIcsConfig('demo'))
exitWithParent(() => server.close())
announce({ baseUrl: server.baseUrl })
