import { project } from "../../tooling/vitest.shared";

export default project("e2e");
