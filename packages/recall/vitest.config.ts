import { project } from "../../tooling/vitest.shared";

export default project("recall");
