import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { type ChainLink, chainAfter } from '../../functions/shared/audit/chain'

/*
 * The least an audited read can do, the baseline of the handler, gateway and latency suites:
 * the data's own storage call, then one conditional PutItem of an audit record of the same
 * size as the stack writes (a real record of the same route, re-linked and re-hashed), in a
 * chain of its own whose head it always knows (no head read, never a lost race). Anything the
 * stack does beyond that is its own cost.
 */

/** The chain fields a real record carries, and the key, which the baseline replaces with its own. */
type RecordTemplate = Record<string, unknown>

/** Appends the baseline's audit record after each storage call: one conditional put, nothing else. */
export class MinimalAuditTrail {
  private readonly heads = new Map<string, ChainLink>()
  private readonly entry: RecordTemplate

  /**
   * `template`: a record the stack wrote for the same route (its size is what the baseline
   * writes); `name` keeps each baseline's chains apart from the others'.
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    template: RecordTemplate,
    private readonly name: string,
  ) {
    const { pk: _pk, seq: _seq, prevHash: _prevHash, hash: _hash, ...entry } = template
    this.entry = entry
  }

  /** One conditional PutItem linking the next record of `subject`'s baseline chain. */
  async append(subject: string, requestId: string): Promise<void> {
    const key = `BASELINE-${this.name}#${subject}`
    const record = chainAfter(this.heads.get(key), { ...this.entry, patient: subject, requestId })
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: key, ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    )
    this.heads.set(key, { seq: record.seq, prevHash: record.prevHash, hash: record.hash })
  }
}
