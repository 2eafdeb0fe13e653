import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { IcsStack } from '../../infra/IcsStack'
import type { IcsConfig } from '../../schemas/ics-config'
import { synthContext } from './synth'

/** One resource of a synthesised template. */
export interface CfnResource {
  Type: string
  Properties?: Record<string, unknown>
  Metadata?: Record<string, unknown>
  DependsOn?: string | string[]
  DeletionPolicy?: string
  UpdateReplacePolicy?: string
}

export interface PolicyStatement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Action?: string | string[]
  Resource?: unknown
  Principal?: unknown
  Condition?: Record<string, Record<string, unknown>>
}

/**
 * Synthesises several ICS stacks in one app, as infra/bin/app.ts does for `npm run synth`
 * (so a reference from one stack to another would show as a cross-stack export), without
 * bundling or offline validation. Returns each stack's template by ICS.
 */
export function synthesiseTogether(configs: readonly IcsConfig[]): Map<string, Template> {
  const outdir = mkdtempSync(join(tmpdir(), 'joinup-infra-together-'))
  try {
    const app = new App({ outdir, context: synthContext(), builtinCloudFormationValidation: false })
    const stacks = configs.map(
      (config) =>
        [
          config.ics,
          new IcsStack(app, `Joinup-${config.ics}`, {
            config,
            env: { account: config.account, region: config.region },
          }),
        ] as const,
    )
    return new Map(stacks.map(([ics, stack]) => [ics, Template.fromStack(stack)]))
  } finally {
    rmSync(outdir, { recursive: true, force: true })
  }
}

export function resourcesOf(template: Template, type?: string): [string, CfnResource][] {
  const { Resources } = template.toJSON() as { Resources: Record<string, CfnResource> }
  return Object.entries(Resources).filter(([, candidate]) => type === undefined || candidate.Type === type)
}

export function resource(template: Template, logicalId: string): CfnResource {
  const { Resources } = template.toJSON() as { Resources: Record<string, CfnResource> }
  const found = Resources[logicalId]
  if (!found) throw new Error(`no resource ${logicalId} in the template`)
  return found
}

/** The logical id of the resource whose construct path ends with `pathSuffix`, if any. */
export function findLogicalIdAt(template: Template, type: string, pathSuffix: string): string | undefined {
  return resourcesOf(template, type).find(([, candidate]) =>
    String(candidate.Metadata?.['aws:cdk:path']).endsWith(pathSuffix),
  )?.[0]
}

export function logicalIdAt(template: Template, type: string, pathSuffix: string): string {
  const id = findLogicalIdAt(template, type, pathSuffix)
  if (!id) throw new Error(`no ${type} at ${pathSuffix}`)
  return id
}

/** A CloudFormation value as one comparable string, e.g. `arn:${AWS::Partition}:…:${PlatformAlarms1234}`. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object') {
    const intrinsic = value as Record<string, unknown>
    if (typeof intrinsic.Ref === 'string') return `\${${intrinsic.Ref}}`
    const getAtt = intrinsic['Fn::GetAtt']
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`
    const join = intrinsic['Fn::Join']
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, unknown[]]
      return parts.map(render).join(separator)
    }
    const select = intrinsic['Fn::Select']
    if (Array.isArray(select)) return `\${Select(${select[0]},${render(select[1])})}`
    const split = intrinsic['Fn::Split']
    if (Array.isArray(split)) return `\${Split(${split[0]},${render(split[1])})}`
  }
  return JSON.stringify(value)
}

export function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

export function statementsOf(document: unknown): PolicyStatement[] {
  return list((document as { Statement?: PolicyStatement[] } | undefined)?.Statement)
}

/** Every `{ Ref }` and `{ Fn::GetAtt }` target in a value, as logical ids (pseudo parameters left out). */
export function referencedIds(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencedIds(item, found)
  else if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>
    if (typeof object.Ref === 'string' && !object.Ref.startsWith('AWS::')) found.add(object.Ref)
    const getAtt = object['Fn::GetAtt']
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0])
    for (const child of Object.values(object)) referencedIds(child, found)
  }
  return found
}

/** True when a value uses `Fn::ImportValue` anywhere (a reference to another stack's export). */
export function importsValues(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(importsValues)
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>
    return 'Fn::ImportValue' in object || Object.values(object).some(importsValues)
  }
  return false
}
