// autocannon ships no types; this is the part of its programmatic API the bench uses.
declare module 'autocannon' {
  interface AutocannonRequest {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
  }

  interface AutocannonClient {
    setRequests(requests: AutocannonRequest[]): void
  }

  interface AutocannonOptions {
    url: string
    connections?: number
    duration?: number
    /** Stop after this many responses instead of after `duration`. */
    amount?: number
    pipelining?: number
    timeout?: number
    headers?: Record<string, string>
    requests?: AutocannonRequest[]
    setupClient?: (client: AutocannonClient) => void
  }

  interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p97_5: number
    p99: number
    p99_9: number
  }

  interface AutocannonResult {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    latency: Histogram & { totalCount: number }
    requests: Histogram & { total: number; sent: number }
  }

  export default function autocannon(options: AutocannonOptions): Promise<AutocannonResult>
}
