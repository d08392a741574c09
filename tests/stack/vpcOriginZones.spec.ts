// The fargate VPC's zones under the mocks: chosen by zone ID among those CloudFront VPC origins support, since a
// zone name maps to a different zone ID in each account ("Restrict access with VPC origins":
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html).
import { expect } from "chai";
import {
    RESIZER_ZONE_COUNT,
    VPC_ORIGIN_UNSUPPORTED_ZONE_IDS,
    vpcOriginZoneNames,
} from "../../infra/resize/resizerNetwork";
import { runProgram } from "../support/program";
import { invocations, MOCK_ZONES } from "../support/pulumiMocks";

const FARGATE = { "image-pipeline:resizerRuntime": "fargate" };
const ZONES_TOKEN = "aws:index/getAvailabilityZones:getAvailabilityZones";

describe("resizerRuntime fargate: the VPC's zones are ones VPC origins support (private-content-vpc-origins.html)", function () {
    this.timeout(120_000);

    it("excludes by zone ID every zone the AWS page lists (use1-az3, usw1-az2, apne1-az3, cac1-az3), and Local Zones", async () => {
        await runProgram(FARGATE);
        const lookups = invocations.filter((call) => call.token === ZONES_TOKEN);
        expect(lookups).to.have.length(1);
        expect(lookups[0].inputs.excludeZoneIds).to.have.members(["use1-az3", "usw1-az2", "apne1-az3", "cac1-az3"]);
        expect(lookups[0].inputs.state).to.equal("available");
        expect(lookups[0].inputs.filters).to.deep.equal([{ name: "zone-type", values: ["availability-zone"] }]);
    });

    it("in us-east-1, where this account's us-east-1a is use1-az3, the VPC gets the next two zones", async () => {
        const run = await runProgram({ ...FARGATE, "aws:region": "us-east-1" });
        const unsupported = MOCK_ZONES["us-east-1"]
            .filter(([, zoneId]) => VPC_ORIGIN_UNSUPPORTED_ZONE_IDS.includes(zoneId))
            .map(([name]) => name);
        expect(unsupported).to.deep.equal(["us-east-1a"]);
        expect(run.one("awsx:ec2:Vpc").inputs.availabilityZoneNames).to.deep.equal(["us-east-1b", "us-east-1c"]);
    });

    // The check runs in ResizerNetwork.initialize, after the lookup: a throw there fails `pulumi up` (the engine
    // awaits it) but leaves the mock runtime waiting, so the choice itself is checked here.
    it("with fewer than two supported zones (an account seeing usw1-az1 and usw1-az2 only), the deploy stops naming the zones and the way out", () => {
        const supported = MOCK_ZONES["us-west-1"].filter(
            ([, zoneId]) => !VPC_ORIGIN_UNSUPPORTED_ZONE_IDS.includes(zoneId),
        );
        const zones = { names: supported.map(([name]) => name), zoneIds: supported.map(([, zoneId]) => zoneId) };
        expect(() => vpcOriginZoneNames(zones, RESIZER_ZONE_COUNT)).to.throw(
            "needs 2 Availability Zones that CloudFront VPC origins support; this account has 1 in this region (usw1-az1;",
        );
        expect(() => vpcOriginZoneNames(zones, RESIZER_ZONE_COUNT)).to.throw("set resizerRuntime to lambda");
        expect(vpcOriginZoneNames(zones, 1)).to.deep.equal(["us-west-1b"]);
    });

    it("the lambda stack looks up no zones", async () => {
        await runProgram({});
        expect(invocations.filter((call) => call.token === ZONES_TOKEN)).to.deep.equal([]);
    });
});
