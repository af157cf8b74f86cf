// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen } from '@testing-library/react';
import type { AppStateView, DistrictSettingsView } from '../../common/domain';
import { App } from '../../renderer/src/App';
import { DistrictSettingsNotice } from '../../renderer/src/components/DistrictSettingsNotice';
import { setLang } from '../../renderer/src/i18n';
import { QueuePolicy } from '../../renderer/src/screens/QueuePolicy';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, installFakeCounter, ok, queueView } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();
beforeEach(() => localStorage.clear());

const DISTRICT: DistrictSettingsView = {
  version: 3,
  publishedAt: '2026-11-25T03:50:00.000Z',
  // 09:30 at the centre (Asia/Kolkata)
  appliedAt: '2026-11-25T04:00:00.000Z',
  parts: ['queuePolicy', 'vaccines'],
  queuePolicyFromDistrict: ['mode', 'walkInMaxWaitMinutes', 'lateArrivalMinutes', 'provisionalPriority'],
};
const withDistrict = (district: DistrictSettingsView | null): AppStateView => ({ ...APP_STATE, district });
const notice = () => screen.queryByTestId('district-notice');

describe('the district settings notice', () => {
  it('says which version the district sent and when, in English', () => {
    useCounter.setState({ appState: withDistrict(DISTRICT) });
    render(<DistrictSettingsNotice />);
    expect(notice()?.textContent).toMatch(/^Settings updated by the district \(version 3, 25 Nov.*09:30.*\)\./);
    expect(notice()?.textContent).toContain('Now from the district: queue policy, vaccines.');
    expect(notice()?.getAttribute('role')).toBe('status');
  });

  it('says the same in Hindi', () => {
    useCounter.setState({ appState: withDistrict(DISTRICT) });
    render(<DistrictSettingsNotice />);
    act(() => setLang('hi'));
    expect(notice()?.textContent).toMatch(/^ज़िले ने सेटिंग्स बदलीं \(संस्करण 3, /);
    expect(notice()?.textContent).toContain('अब ज़िले से: कतार नियम, टीके।');
    expect(screen.getByTestId('district-notice-dismiss').textContent).toBe('बंद करें');
  });

  it('is shown once per version: dismissed, it stays away (a reload too) until the next version', () => {
    useCounter.setState({ appState: withDistrict(DISTRICT) });
    const first = render(<DistrictSettingsNotice />);
    fireEvent.click(screen.getByTestId('district-notice-dismiss'));
    expect(notice()).toBeNull();
    first.unmount();
    // the page opened again
    render(<DistrictSettingsNotice />);
    expect(notice()).toBeNull();
    act(() => useCounter.setState({ appState: withDistrict({ ...DISTRICT, version: 4 }) }));
    expect(notice()?.dataset.version).toBe('4');
  });

  it('says nothing when no district settings are in force', () => {
    useCounter.setState({ appState: withDistrict(null) });
    render(<DistrictSettingsNotice />);
    expect(notice()).toBeNull();
  });

  it('sits on the counter screen under the status bar', async () => {
    useCounter.setState({ appState: withDistrict(DISTRICT) });
    const counter = installFakeCounter({ getQueue: () => ok(queueView()) });
    counter.getAppState.mockImplementation(async () => ok(useCounter.getState().appState));
    render(<App />);
    expect((await screen.findByTestId('district-notice')).textContent).toContain('version 3');
  });
});

describe('the queue policy screen with district settings', () => {
  it('marks which values came from the district and which were set here, in English and Hindi', () => {
    useCounter.setState({ appState: withDistrict(DISTRICT) });
    render(<QueuePolicy />);
    expect(screen.getByTestId('policy-district').textContent).toContain('The district sets the default queue policy (version 3)');
    expect(screen.getByTestId('policy-source-mode').textContent).toBe('From the district');
    expect(screen.getByTestId('policy-source-provisionalPriority').textContent).toBe('From the district');
    const hint = (f: string) => document.getElementById(`policy-${f}-hint`)?.textContent;
    expect(hint('priorityPerWalkIn')).toBe('Set at this centre');
    expect(hint('walkInMaxWaitMinutes')).toBe('Leave empty for no limit · From the district');
    act(() => setLang('hi'));
    expect(screen.getByTestId('policy-source-mode').textContent).toBe('ज़िले से');
    expect(hint('priorityPerWalkIn')).toBe('इस केंद्र पर तय');
    expect(screen.getByTestId('policy-district').textContent).toContain('संस्करण 3');
  });

  it('shows the policy of a new district version while the form is untouched, and keeps what the supervisor typed', () => {
    useCounter.setState({ appState: withDistrict(DISTRICT) });
    render(<QueuePolicy />);
    const box = () => screen.getByTestId('policy-priorityPerWalkIn') as HTMLInputElement;
    expect(box().value).toBe('3');
    const next = (n: number, version: number) =>
      act(() =>
        useCounter.setState({
          appState: { ...withDistrict({ ...DISTRICT, version }), policy: { ...APP_STATE.policy!, priorityPerWalkIn: n } },
        }),
      );
    next(5, 4);
    expect(box().value).toBe('5');
    fireEvent.change(box(), { target: { value: '8' } });
    next(6, 5);
    expect(box().value).toBe('8');
  });

  it('shows no marks when the district does not set the queue policy', () => {
    useCounter.setState({ appState: withDistrict({ ...DISTRICT, parts: ['vaccines'], queuePolicyFromDistrict: [] }) });
    render(<QueuePolicy />);
    expect(screen.queryByTestId('policy-district')).toBeNull();
    expect(screen.queryByTestId('policy-source-mode')).toBeNull();
    expect(document.getElementById('policy-priorityPerWalkIn-hint')).toBeNull();
  });
});
