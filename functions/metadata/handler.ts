import { Scope } from '../../schemas/auth'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { ukDateTime } from '../shared/time'
import { capabilityStatement, smartConfiguration } from './capabilityStatement'

/** Public, unauthenticated: GET /metadata and GET /.well-known/smart-configuration. */
export const handler = httpApi('metadata', {
  capabilities: async (request) => ({
    status: 200,
    body: capabilityStatement(currentIcs(), request.baseUrl, ukDateTime(new Date())),
  }),
  smartConfiguration: async (request) => ({
    status: 200,
    contentType: 'application/json',
    body: smartConfiguration(currentIcs(), request.baseUrl, Scope.options),
  }),
})
