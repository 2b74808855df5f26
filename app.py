"""CDK entry point: `npx cdk synth|deploy --all -c env=dev|prod`.

The environment (account, region, names, retention, removal policy) comes from
cdk.json context, never from STS, so synth needs no AWS credentials.
"""

from aws_cdk import App

from infra.stacks import build_app

app = App()
build_app(app)
app.synth()
