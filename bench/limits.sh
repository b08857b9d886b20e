# Sourced by the benchmark scripts. One load generator on one address measures throughput, not
# the rate limiter: the limits stay on (their cost is in every figure) but far above what one
# machine can send.
for class in TOKEN SIGN_IN PAGES API DISCOVERY; do
  for per in PER_IP PER_CLIENT PER_TENANT PER_USER; do
    export "SIGIL_SERVER__RATE_LIMITS__${class}__${per}__PER_MINUTE=600000000"
    export "SIGIL_SERVER__RATE_LIMITS__${class}__${per}__BURST=1000000"
  done
done
