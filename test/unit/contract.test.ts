import { describe, expect, it } from 'vitest';
import { contract, METHOD_NAMES, type MethodName, type RequestOf } from '../../common/contract';
import { provisioningSchema, walkInFormSchema, type WalkInFormInput } from '../../common/domain';
import { verhoeffDigit } from '../../common/rules/verhoeff';
import { fieldErrors } from '../../main/ipc/dispatcher';

const TICKET = '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b';
const aadhaarBody = '23412341234';
const AADHAAR = aadhaarBody + String(verhoeffDigit(aadhaarBody));

const form: WalkInFormInput = {
  name: 'Kamla Yadav',
  gender: 'F',
  birthYear: 1950,
  mobile: '9876543210',
  photoIdType: 'AADHAAR',
  photoIdNumber: AADHAAR,
  comorbidity: false,
  dose: 1,
};

/** One valid request of every method: the type makes sure none is missing. */
const VALID: { [M in MethodName]: RequestOf<M> } = {
  getAppState: {},
  provision: {
    provisioning: {
      schemaVersion: 1,
      centre: { id: 'UP-LKO-CHC-01', name: 'CHC Aliganj', timeZone: 'Asia/Kolkata' },
      counter: { code: 'A1', tokenPrefix: 'A' },
    },
    supervisor: { loginId: 'supervisor', name: 'Meena Verma', pin: '246810' },
  },
  enrol: {
    portalUrl: 'https://sync.portal.example.in',
    code: 'K7PM-3XQ9-HT4W',
    supervisor: { loginId: 'supervisor', name: 'Meena Verma', pin: '246810' },
  },
  signIn: { loginId: 'operator', pin: '1357' },
  signOut: {},
  touchSession: {},
  unlockSession: { pin: '1357' },
  stepUp: { pin: '246810' },
  listOperators: {},
  addOperator: { loginId: 'ravi.k', name: 'Ravi Kumar', role: 'operator', pin: '1357' },
  setOperatorDisabled: { operatorId: TICKET, disabled: true },
  resetOperatorPin: { operatorId: TICKET, pin: '97531' },
  unlockOperator: { operatorId: TICKET },
  updateQueuePolicy: {
    mode: 'ratio',
    priorityPerWalkIn: 3,
    walkInMaxWaitMinutes: 30,
    lateArrivalMinutes: 60,
    provisionalPriority: false,
  },
  importRoster: { fileName: 'roster.csv', format: 'csv', content: 'date,ref_id\n' },
  searchRoster: { query: 'sunita' },
  checkIn: { refId: 'ABC1234567' },
  checkInProvisional: { refId: 'ABC1234567', name: 'Sunita Devi', birthYear: 1955, gender: 'F' },
  previewWalkIn: { form },
  registerWalkIn: { submissionId: TICKET, form, acknowledgedDuplicates: [] },
  getQueue: {},
  callNext: {},
  callTicket: { ticketId: TICKET },
  recallTicket: { ticketId: TICKET },
  markNoShow: { ticketId: TICKET },
  requeueTicket: { ticketId: TICKET },
  cancelTicket: { ticketId: TICKET, reason: 'left the queue' },
  serveTicket: { ticketId: TICKET, vaccine: 'COVISHIELD', lotNumber: '4121z025', dose: 1 },
  printSlip: { ticketId: TICKET },
  listPrintJobs: { failedOnly: true },
  listSystemPrinters: {},
  updatePrintingSettings: {
    printer: { kind: 'escpos-tcp', host: '192.168.1.50', port: 9100 },
    paper: '58mm',
    autoPrint: true,
    nameOnSlip: 'first',
    minutesPerPerson: 3,
    timeoutSeconds: 10,
    statusCheck: true,
  },
  testPrint: {},
  getSyncStatus: {},
  syncNow: {},
  listNeedsAttention: {},
  resendRecord: { seq: 1, checkIn: { refId: 'ABC123456', name: 'Someone' } },
  dismissRecord: { seq: 1, reason: 'test entry' },
  closeDay: { day: '2021-04-09' },
  getReconciliation: { from: '2026-11-01', to: '2026-11-25' },
  exportReconciliation: { from: '2026-11-25', to: '2026-11-25' },
  saveDiagnostics: {},
  updateStatus: {},
  installUpdateNow: { version: '1.4.0' },
  postponeUpdate: { version: '1.4.0', postponed: true },
  getBoardSettings: {},
  updateBoardSettings: {
    notice: { en: 'Bring your photo ID', hi: 'अपना फ़ोटो पहचान पत्र साथ लाएँ' },
    room: { en: 'Room 2', hi: 'कमरा 2' },
    speech: { enabled: true, order: 'hi-en', volume: 80, repeat: 1 },
  },
  listDisplays: {},
  openBoard: { displayId: null },
  closeBoard: {},
};

const JUNK: unknown[] = [null, undefined, 42, 'checkIn', true, [], [{}]];

describe('the contract', () => {
  it('has a valid example here for every method', () => {
    expect(Object.keys(VALID).sort()).toEqual([...METHOD_NAMES].sort());
  });

  describe.each(METHOD_NAMES)('%s request', (method) => {
    const schema = contract[method].request;

    it('accepts a valid example', () => {
      const r = schema.safeParse(VALID[method]);
      expect(r.error?.issues ?? []).toEqual([]);
    });

    it('rejects values that are not a request object', () => {
      for (const junk of JUNK) expect(schema.safeParse(junk).success).toBe(false);
    });

    it('rejects unknown keys', () => {
      expect(schema.safeParse({ ...(VALID[method] as object), extra: 1 }).success).toBe(false);
    });

    it('rejects a junk value in any of its fields', () => {
      for (const key of Object.keys(VALID[method] as object)) {
        for (const junk of [{ junk: true }, [1, 2], -1e9]) {
          const r = schema.safeParse({ ...(VALID[method] as object), [key]: junk });
          expect(r.success, `${method}.${key} = ${JSON.stringify(junk)}`).toBe(false);
        }
      }
    });
  });

  it('refuses IDs that are not UUIDs and empty or oversized strings', () => {
    expect(contract.callTicket.request.safeParse({ ticketId: 'abc' }).success).toBe(false);
    expect(contract.callTicket.request.safeParse({ ticketId: `${TICKET}0` }).success).toBe(false);
    expect(contract.cancelTicket.request.safeParse({ ticketId: TICKET, reason: '   ' }).success).toBe(false);
    expect(contract.cancelTicket.request.safeParse({ ticketId: TICKET, reason: 'x'.repeat(201) }).success).toBe(false);
    expect(contract.searchRoster.request.safeParse({ query: 'x'.repeat(101) }).success).toBe(false);
    expect(contract.signIn.request.safeParse({ loginId: 'operator', pin: '12' }).success).toBe(false);
    expect(contract.signIn.request.safeParse({ loginId: 'operator', pin: '12ab' }).success).toBe(false);
    expect(contract.serveTicket.request.safeParse({ ...VALID.serveTicket, lotNumber: '-12' }).success).toBe(false);
    expect(contract.serveTicket.request.safeParse({ ...VALID.serveTicket, dose: 4 }).success).toBe(false);
    expect(contract.updateQueuePolicy.request.safeParse({ ...VALID.updateQueuePolicy, priorityPerWalkIn: 0 }).success).toBe(
      false,
    );
    expect(contract.updateQueuePolicy.request.safeParse({ ...VALID.updateQueuePolicy, mode: 'random' }).success).toBe(false);
  });

  it('normalises what it accepts: login IDs lowercased, ref IDs and lot numbers uppercased', () => {
    expect(contract.signIn.request.parse({ loginId: '  Operator ', pin: '1357' }).loginId).toBe('operator');
    expect(contract.checkIn.request.parse({ refId: ' abc1234567 ' }).refId).toBe('ABC1234567');
    expect(contract.serveTicket.request.parse(VALID.serveTicket).lotNumber).toBe('4121Z025');
  });

  it('every method declares who may call it, and only the sign-in methods and setup are public', () => {
    const publicMethods = METHOD_NAMES.filter((m) => contract[m].access === 'public').sort();
    expect(publicMethods).toEqual(['enrol', 'getAppState', 'provision', 'signIn', 'signOut', 'unlockSession']);
    for (const m of [
      'listOperators',
      'addOperator',
      'setOperatorDisabled',
      'resetOperatorPin',
      'updateQueuePolicy',
      'importRoster',
    ] as const) {
      expect(contract[m].access).toBe('supervisor');
    }
  });
});

describe('operator names', () => {
  const codes = (m: 'provision' | 'addOperator', name: string): string[] => {
    const base = m === 'provision' ? VALID.provision : VALID.addOperator;
    const request =
      m === 'provision' ? { ...VALID.provision, supervisor: { ...VALID.provision.supervisor, name } } : { ...base, name };
    const r = contract[m].request.safeParse(request);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };

  it('the first supervisor and every operator added later follow one rule, with the same codes', () => {
    for (const m of ['provision', 'addOperator'] as const) {
      expect(codes(m, 'Ravi Kumar')).toEqual([]);
      expect(codes(m, '  R  ')).toEqual(['name_too_short']);
      expect(codes(m, 'x'.repeat(81))).toEqual(['too_long']);
      expect(codes(m, ` ${'x'.repeat(80)} `)).toEqual([]);
    }
  });
});

describe('a walk-in form sent again', () => {
  it('the preview takes the form’s submission and may answer with the ticket it was already given', () => {
    const submissionId = TICKET;
    expect(contract.previewWalkIn.request.safeParse({ form, submissionId }).success).toBe(true);
    expect(contract.previewWalkIn.request.safeParse({ form, submissionId: 'not-a-uuid' }).success).toBe(false);
    const answer = {
      duplicates: [],
      eligibility: { eligible: true, age: 75, reason: null, phase: null },
      alreadyRegistered: { walkInId: TICKET, ticketId: TICKET, token: 'A-W012', status: 'waiting' },
    };
    expect(contract.previewWalkIn.response.parse(answer).alreadyRegistered?.token).toBe('A-W012');
    expect(contract.previewWalkIn.response.safeParse({ ...answer, alreadyRegistered: null }).success).toBe(true);
  });
});

describe('the queue with a limit', () => {
  it('asks for the head of each lane, or all of it; the answer may say how many wait', () => {
    expect(contract.getQueue.request.safeParse({}).success).toBe(true);
    expect(contract.getQueue.request.safeParse({ waitingLimit: 50 }).success).toBe(true);
    expect(contract.getQueue.request.safeParse({ waitingLimit: 0 }).success).toBe(false);
    expect(contract.getQueue.request.safeParse({ waitingLimit: 501 }).success).toBe(false);
    const shape = contract.getQueue.response.shape;
    expect(shape.waitingCount.safeParse({ priority: 400, walkin: 600 }).success).toBe(true);
    expect(shape.waitingCount.safeParse(undefined).success).toBe(true);
  });
});

describe('walk-in form validation', () => {
  const issuesOf = (input: Partial<Record<keyof WalkInFormInput, unknown>>) => {
    const r = walkInFormSchema.safeParse({ ...form, ...input });
    return (r.error?.issues ?? []).map((i) => ({ path: i.path.join('.'), code: i.message }));
  };

  it('accepts a valid form and returns it normalised', () => {
    const r = walkInFormSchema.parse({
      ...form,
      name: '  Kamla Yadav ',
      mobile: '+91 98765-43210',
      photoIdNumber: AADHAAR.replace(/(\d{4})(\d{4})(\d{4})/, '$1 $2-$3'),
      birthYear: '1950',
      comorbidity: undefined,
    });
    expect(r).toEqual({
      ...form,
      name: 'Kamla Yadav',
      mobile: '9876543210',
      photoIdNumber: AADHAAR,
      birthYear: 1950,
      comorbidity: false,
    });
  });

  it.each([
    [{ name: '' }, 'name', 'required'],
    [{ name: 'K' }, 'name', 'name_too_short'],
    [{ name: 'R2D2 Yadav' }, 'name', 'name_chars'],
    [{ name: 'K'.repeat(101) }, 'name', 'too_long'],
    [{ gender: 'X' }, 'gender', 'required'],
    [{ birthYear: 1899 }, 'birthYear', 'birth_year_range'],
    [{ birthYear: new Date().getFullYear() + 1 }, 'birthYear', 'birth_year_range'],
    [{ birthYear: 1950.5 }, 'birthYear', 'birth_year_range'],
    [{ mobile: '' }, 'mobile', 'required'],
    [{ mobile: '12345' }, 'mobile', 'mobile_format'],
    [{ photoIdType: 'LIBRARY_CARD' }, 'photoIdType', 'required'],
    [{ photoIdNumber: '' }, 'photoIdNumber', 'required'],
    [{ photoIdNumber: `${AADHAAR.slice(0, 11)}${(Number(AADHAAR[11]) + 1) % 10}` }, 'photoIdNumber', 'aadhaar_checksum'],
    [{ photoIdNumber: '1234' }, 'photoIdNumber', 'aadhaar_length'],
    [{ photoIdType: 'PAN' }, 'photoIdNumber', 'pan_format'],
    [{ photoIdNumber: '9'.repeat(41) }, 'photoIdNumber', 'too_long'],
    [{ dose: 4 }, 'dose', 'dose_invalid'],
  ])('%j is refused on %s with %s', (input, path, code) => {
    const issues = issuesOf(input);
    // the form shows the first problem of each field
    expect(issues[0]).toEqual({ path, code });
    expect(issues.every((i) => i.path === path)).toBe(true);
  });

  it('reports every bad field at once, each on its own path', () => {
    const first = new Map<string, string>();
    for (const i of issuesOf({ name: 'K', mobile: '123', photoIdNumber: '1234', dose: 9 }))
      if (!first.has(i.path)) first.set(i.path, i.code);
    expect(Object.fromEntries(first)).toEqual({
      name: 'name_too_short',
      mobile: 'mobile_format',
      photoIdNumber: 'aadhaar_length',
      dose: 'dose_invalid',
    });
  });

  it('field errors of a nested form are reported below the form key, as i18n codes', () => {
    const r = contract.registerWalkIn.request.safeParse({ ...VALID.registerWalkIn, form: { ...form, mobile: '555' } });
    expect(r.success).toBe(false);
    expect(fieldErrors(r.error!)).toEqual([{ field: 'form.mobile', code: 'mobile_format' }]);
  });

  it("zod's own messages become the generic code 'invalid'", () => {
    const r = contract.setOperatorDisabled.request.safeParse({ operatorId: TICKET, disabled: 'yes' });
    expect(fieldErrors(r.error!)).toEqual([{ field: 'disabled', code: 'invalid' }]);
  });
});

describe('provisioning file validation', () => {
  const base = VALID.provision.provisioning;

  it('fills in the defaults: Kolkata time, P and W lanes, strict queue, the 2021 phases', () => {
    const p = provisioningSchema.parse(base);
    expect(p.centre.timeZone).toBe('Asia/Kolkata');
    expect(p.lanes).toEqual({ priorityLetter: 'P', walkInLetter: 'W' });
    expect(p.queuePolicy).toEqual({
      mode: 'strict',
      priorityPerWalkIn: 3,
      walkInMaxWaitMinutes: null,
      lateArrivalMinutes: null,
      provisionalPriority: false,
    });
    expect(p.eligibility.map((e) => e.from)).toEqual(['2021-03-01', '2021-04-01', '2021-05-01']);
    expect(p.security).toEqual({ maxPinAttempts: 5, lockMinutes: 5, idleLockMinutes: 10, stepUpMinutes: 5 });
  });

  it('refuses the same letter for both lanes, a bad time zone and a bad token prefix', () => {
    const msg = (input: unknown) => provisioningSchema.safeParse(input).error?.issues.map((i) => i.message);
    expect(msg({ ...base, lanes: { priorityLetter: 'P', walkInLetter: 'P' } })).toEqual(['lane_letters_same']);
    expect(msg({ ...base, centre: { ...base.centre, timeZone: 'Asia/Nowhere' } })).toEqual(['time_zone_invalid']);
    expect(msg({ ...base, counter: { code: 'A1', tokenPrefix: 'a1' } })).toEqual(['token_prefix_format']);
  });
});
