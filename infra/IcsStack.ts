import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import type { IcsConfig } from '../schemas/ics-config'
import { Appointments } from './constructs/Appointments'
import { Audit } from './constructs/Audit'
import { Docs } from './constructs/Docs'
import { Messages } from './constructs/Messages'
import { Metadata } from './constructs/Metadata'
import { PatientIndex } from './constructs/PatientIndex'
import { PatientLookup } from './constructs/PatientLookup'
import { Platform } from './constructs/Platform'
import { RecordRetrieval } from './constructs/RecordRetrieval'
import { ICS_TAG } from './dead-letter-tags'
import { assertDeployable } from './ics-configs'

export interface IcsStackProps extends StackProps {
  config: IcsConfig
}

/** Everything one ICS runs: the shared platform and one construct per capability. */
export class IcsStack extends Stack {
  readonly platform: Platform

  constructor(scope: Construct, id: string, props: IcsStackProps) {
    super(scope, id, props)
    assertDeployable(props.config)
    // Every resource names its ICS (npm run dlq:replay finds an ICS's queues by it).
    Tags.of(this).add(ICS_TAG, props.config.ics)
    this.platform = new Platform(this, 'Platform', props.config)
    // A capability the ICS switches off is not composed: no function, route, rule or alarm.
    new Metadata(this, 'Metadata', this.platform)
    if (this.platform.isEnabled('patientLookup')) new PatientLookup(this, 'PatientLookup', this.platform)
    if (this.platform.isEnabled('patientIndex')) new PatientIndex(this, 'PatientIndex', this.platform)
    new Audit(this, 'Audit', this.platform)
    if (this.platform.isEnabled('appointments')) new Appointments(this, 'Appointments', this.platform)
    new Docs(this, 'Docs', this.platform)
    if (this.platform.isEnabled('records')) new RecordRetrieval(this, 'RecordRetrieval', this.platform)
    if (this.platform.isEnabled('messages')) new Messages(this, 'Messages', this.platform)

    new CfnOutput(this, 'ApiUrl', { value: this.platform.api.url, description: 'Base URL of the REST API' })
    new CfnOutput(this, 'EventBusName', { value: this.platform.bus.eventBusName })
  }
}
